/**
 * The store's disk buffer: a segmented append-only log of SaleEvents between intake and shipper.
 *
 * # Invariants
 * 1. An append resolves only after a completed fdatasync covers every byte of it (group commit:
 *    concurrent appends share one write and one fdatasync, bounded by a short wait and a byte budget).
 *    Nothing is ever acknowledged that is not on stable storage. One write is in flight at a time and
 *    its last record carries COMMIT, so recovery can tell the one write a power cut may have torn.
 * 2. Seqs are gap-free and in disk order: `append()` assigns them synchronously, before its first
 *    await, so call order = seq order = byte order. A rejected append (full, failed, closed) assigns none.
 *    A seq that was ever acknowledged or shipped is never reused: after a restart the next seq is above
 *    every seq any segment, damaged range, segment name or the cursor accounts for. (Seqs of a torn,
 *    never-acknowledged write are free again: nobody saw them.)
 * 3. Readers (`readFrom`) see only records covered by a completed fdatasync, so nothing that a crash
 *    could still take back is ever shipped.
 * 4. The ack cursor is made durable (temp, fsync, rename, fsync dir) before any segment it covers is
 *    deleted; a segment is deleted only once every record in it is acked, after `beforeSegmentDelete`
 *    (the receipt index) has persisted what it needs. The newest segment is never deleted, so its name
 *    keeps the seq high-water mark. Hence a crash at any step of ack → delete leaves either the old
 *    cursor (re-delivery window: the records of the one ack call in flight, a few shipper batches at most)
 *    or the new one with segments it covers still present (deleted again at open).
 * 5. Fail-stop: after any failed write or fsync the buffer acknowledges nothing more (appends and acks
 *    reject with RS_ERR_BUFFER_IO, `stats().fault` says why) until the process restarts and recovery
 *    re-reads the disk. Retrying an fsync is unsafe: the kernel may have dropped the dirty pages and
 *    report success (fsyncgate). A failed write is cut off the newest segment before the failure is
 *    reported (`cutUnsyncedTail`), so a restart cannot read it back from the page cache as if durable.
 * 6. Recovery never skips data silently and never fails on what a crash can leave: a torn write in the
 *    newest segment is cut (segment-scan.ts says how it is told from damage); a damaged range is
 *    entered in quarantine.log (raw bytes, lost seqs), logged at error, counted in `stats()`, and the
 *    records after it stay readable. A range the reader finds damaged at run time gets the same
 *    treatment and shipping continues. Damage is a frame or checksum that fails; a payload is parsed
 *    only when used (stored-record.ts), and bytes that check out but are not JSON (a writer's bug, not
 *    the disk's) throw RS_ERR_BUFFER_CORRUPT there. Segments are never rewritten; only a torn tail (or, at fail-stop, a failed write) is truncated.
 *    Every segment is fdatasynced at open, so what a crashed process wrote is durable before shipping.
 * 7. Memory does not grow with buffered volume: records are read from disk in batches (handed out as
 *    views of the chunk read); per segment we keep a few numbers, its damaged ranges and a sparse index
 *    (one entry per 64 KiB) for seeking, plus where the last read stopped (a sequential reader goes on
 *    from there). Recovery reads one segment at a time (≤ `segmentBytes`). An append is serialized and
 *    framed into one buffer, reused by the next append once written.
 *
 * # On disk (one directory per store)
 *   segment-<first seq, 20 digits>.log  16-byte header (format version 2), then records, see
 *                                       record-format.ts: [u32 len|COMMIT][u32 crc32c][u64 seq][JSON].
 *                                       A record never spans segments. The name's seq is the seq the
 *                                       first record was given; rotation happens past `segmentBytes`.
 *                                       Version 1 segments (no header) from older stores still open.
 *   cursor.json                         {"acked_seq": N}, replaced atomically (see ack-cursor.ts).
 *   quarantine.log                      one JSON line per damaged range (quarantine.ts).
 *   *.tmp                               leftovers of an interrupted atomic replace; removed at open.
 *   receipts.log                        not the buffer's: intake's receipt index (intake/receipt-index.ts).
 */
import { join } from 'node:path';
import type { Logger } from '@retail-sync/libs/log';
import { createLogger } from '@retail-sync/libs/log';
import type { RetailSyncError } from '@retail-sync/libs/errors';
import { storeErrors } from '../errors.ts';
import { readAckCursor, writeAckCursor } from './ack-cursor.ts';
import { nodeFileSystem, readWholeFile, type BufferFile, type BufferFileSystem } from './file-system.ts';
import { QuarantineLog, lostCount } from './quarantine.ts';
import {
  checkRecordAt,
  decodeRecordAt,
  encodeSegmentHeader,
  findNextRecord,
  INCOMPLETE,
  markCommitAt,
  readSeq,
  RECORD_HEADER_BYTES,
  sealRecordAt,
  SEGMENT_FORMAT_VERSION,
  SEGMENT_HEADER_BYTES,
  type FormatVersion,
} from './record-format.ts';
import { StoredRecord, type BufferRecord } from './stored-record.ts';
import { scanSegment, type DamagedRange, type ScannedRecord } from './segment-scan.ts';
import { SerialQueue } from './serial-queue.ts';

export interface DiskBufferOptions<T> {
  /** Rotate to a new segment past this size. @default 8 MiB */
  segmentBytes?: number;
  /** Size cap of all segments; an append past it rejects with RS_ERR_BUFFER_FULL. @default 1 GiB */
  maxBytes?: number;
  /** How long the first append of an idle buffer waits for company before the write+fsync; appends
   * arriving during an fsync share the next one regardless. @default 0 */
  groupCommitWaitMs?: number;
  /** Bytes one group commit writes at most; a group this big is flushed without waiting. @default 1 MiB */
  groupCommitMaxBytes?: number;
  logger?: Logger;
  fs?: BufferFileSystem;
  /** Runs for every fully acked segment before that segment is deleted; must be durable when it resolves. */
  beforeSegmentDelete?: (segment: AckedSegment<T>) => Promise<void>;
  /** Sees every good record once, in seq order, during the open scan (so nobody reads the buffer twice at start). */
  onRecoveredRecord?: (record: BufferRecord<T>) => void;
}

export type { BufferRecord } from './stored-record.ts';

/** A fully acked segment about to be deleted, as `beforeSegmentDelete` sees it. */
export interface AckedSegment<T> {
  firstSeq: number;
  lastSeq: number;
  /** Every seq of firstSeq..lastSeq has a good record here (nothing quarantined, no gap): a hook that
   * knows what it stored under those seqs need not read the segment. */
  complete: boolean;
  /** Reads the segment's good records, in seq order (checked; payloads parsed only when used). */
  records(): Promise<BufferRecord<T>[]>;
}

export type BufferState = 'open' | 'failed' | 'closed';

export interface BufferFault {
  code: string;
  /** The errno behind it (EIO, ENOSPC …) when there is one. */
  errno: string | null;
  message: string;
  at: string;
}

export interface BufferStats {
  /** Highest durable seq (0 when nothing was ever appended). */
  lastSeq: number;
  /** Highest seq central confirmed. */
  ackedSeq: number;
  /** Seqs appended and not yet acked. */
  records: number;
  /** Bytes of all segments on disk. */
  bytes: number;
  /** Append time of the oldest unacked record (to the index's 64 KiB resolution, never later), or null. */
  oldestUnackedAt: string | null;
  /** Damaged ranges entered in quarantine.log over the buffer's life. */
  quarantined: number;
  /** Seqs those damaged ranges held: records reported lost. */
  lostRecords: number;
  state: BufferState;
  /** Why the buffer fail-stopped, or null. */
  fault: BufferFault | null;
}

interface IndexEntry {
  seq: number;
  offset: number;
  /** Epoch ms the record was appended. */
  at: number;
}

interface KnownDamage {
  offset: number;
  end: number;
  /** Seq of the first good record after it (or the expected seq when none is missing). */
  nextSeq: number | undefined;
}

interface Segment {
  firstSeq: number;
  path: string;
  name: string;
  version: FormatVersion;
  dataStart: number;
  /** Highest seq it accounts for (good or lost); firstSeq − 1 while empty. */
  lastSeq: number;
  records: number;
  /** Bytes covered by a completed fdatasync (ends at a good record): readers stop here. */
  durableBytes: number;
  /** Bytes in the file, ≥ durableBytes. */
  writtenBytes: number;
  index: IndexEntry[];
  damaged: KnownDamage[];
}

/** The records of one append call, framed back to back in one buffer (one allocation per append). */
interface EncodedBatch {
  firstSeq: number;
  bytes: Buffer;
  /** The allocation `bytes` lives in, handed back for the next append once written. */
  backing: Buffer;
  /** Start of record i at offsets[i]; offsets[count] = bytes.length. */
  offsets: Uint32Array;
}

interface PendingAppend {
  batch: EncodedBatch;
  bytes: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Records [from, to) of a batch: a piece of one write. */
interface Span {
  batch: EncodedBatch;
  from: number;
  to: number;
}

/** Where the last read stopped: the next readFrom of a sequential reader starts here without seeking. */
interface ReadPosition {
  segment: Segment;
  seq: number;
  offset: number;
}

const MiB = 1024 * 1024;
const INDEX_STRIDE_BYTES = 64 * 1024;
/** Reads are sized to what the caller asked for (records × average size, bytes), within these bounds. */
const MIN_READ_BYTES = 16 * 1024;
const MAX_READ_BYTES = 4 * MiB;
const MAX_SPARE_BYTES = 4 * MiB;
const SEGMENT_NAME = /^segment-(\d{20})\.log$/;

export function segmentFileName(firstSeq: number): string {
  return `segment-${String(firstSeq).padStart(20, '0')}.log`;
}

export class DiskBuffer<T> {
  private state: 'open' | 'closing' | 'failed' | 'closed' = 'open';
  private failure: RetailSyncError | undefined;
  private fault: BufferFault | null = null;
  private segments: Segment[] = [];
  private activeFile: BufferFile | undefined;
  private nextSeq = 1;
  private durableSeq = 0;
  private ackedSeq = 0;
  private quarantine!: QuarantineLog;
  private bytesOnDisk = 0;
  private pending: PendingAppend[] = [];
  private pendingBytes = 0;
  private cancelFlushTimer: (() => void) | undefined;
  private flushing: Promise<void> | undefined;
  private readonly segmentLock = new SerialQueue();
  private readonly ackLock = new SerialQueue();
  private readonly appendWaiters = new Set<() => void>();
  private readPosition: ReadPosition | undefined;
  private reader: { segment: Segment; file: BufferFile } | undefined;
  /** A written batch's allocation, reused by the next append (saves a large allocation and its page faults per group commit). */
  private spareBacking: Buffer | undefined;
  private readonly segmentBytes: number;
  private readonly maxBytes: number;
  private readonly maxPayloadBytes: number;
  private readonly groupCommitWaitMs: number;
  private readonly groupCommitMaxBytes: number;
  private readonly fs: BufferFileSystem;
  private readonly logger: Logger;

  private constructor(
    readonly dir: string,
    private readonly options: DiskBufferOptions<T>,
  ) {
    this.segmentBytes = options.segmentBytes ?? 8 * MiB;
    this.maxBytes = options.maxBytes ?? 1024 * MiB;
    this.maxPayloadBytes = this.segmentBytes - RECORD_HEADER_BYTES - SEGMENT_HEADER_BYTES;
    this.groupCommitWaitMs = options.groupCommitWaitMs ?? 0;
    this.groupCommitMaxBytes = options.groupCommitMaxBytes ?? MiB;
    this.fs = options.fs ?? nodeFileSystem;
    this.logger = (options.logger ?? createLogger({ service: 'store', level: 'silent' })).child({ component: 'buffer' });
  }

  /** Opens (creating if needed) the buffer in `dir`, recovering from whatever a crash left. */
  static async open<T>(dir: string, options: DiskBufferOptions<T> = {}): Promise<DiskBuffer<T>> {
    const buffer = new DiskBuffer<T>(dir, options);
    await buffer.recover();
    return buffer;
  }

  // ── append ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Appends one record per builder; each builder receives the seq its record gets. Seqs are assigned
   * before this returns (no await in between), so the caller may read them from its builders. Resolves
   * with the seqs after the covering fdatasync; rejects with RS_ERR_BUFFER_FULL (nothing assigned),
   * RS_ERR_BUFFER_IO (fail-stop), RS_ERR_BUFFER_CLOSED or RS_ERR_BATCH_TOO_LARGE (one record > a segment).
   */
  append(builders: ReadonlyArray<(seq: number) => T>): Promise<number[]> {
    return this.appendJson(
      builders.map((build) => (seq: number) => {
        const text: unknown = JSON.stringify(build(seq));
        if (typeof text !== 'string') throw new TypeError(`record for seq ${seq} is not JSON-serializable`);
        return text;
      }),
    );
  }

  /**
   * `append` for a caller that already has each record's JSON: builder i returns the text of
   * JSON.stringify(payload) for the seq it receives, and that text is stored as is (not parsed, not
   * checked: readers parse it as a T, and the shipper passes parts of it on verbatim). Intake uses it
   * to serialize a sale once, from pre-serialized parts, instead of building an object to stringify.
   */
  appendJson(builders: ReadonlyArray<(seq: number) => string>): Promise<number[]> {
    const unusable = this.unusableForWrites();
    if (unusable) return Promise.reject(unusable);
    if (builders.length === 0) return Promise.resolve([]);
    let batch: EncodedBatch;
    try {
      batch = this.encodeBatch(builders);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const bytes = batch.bytes.length;
    if (this.bytesOnDisk + this.pendingBytes + bytes > this.maxBytes) {
      return Promise.reject(
        storeErrors.create('RS_ERR_BUFFER_FULL', `buffer is full: ${this.bytesOnDisk + this.pendingBytes} of ${this.maxBytes} bytes used, ${bytes} more requested`, {
          details: { usedBytes: this.bytesOnDisk + this.pendingBytes, maxBytes: this.maxBytes },
        }),
      );
    }
    this.nextSeq += builders.length;
    const seqs = Array.from({ length: builders.length }, (_, i) => batch.firstSeq + i);
    return new Promise<number[]>((resolve, reject) => {
      this.pending.push({ batch, bytes, resolve: () => resolve(seqs), reject });
      this.pendingBytes += bytes;
      this.scheduleFlush();
    });
  }

  /** Frames the JSON text of every record of one append into one buffer (UTF-8 written in place, no copy per record). */
  private encodeBatch(builders: ReadonlyArray<(seq: number) => string>): EncodedBatch {
    const firstSeq = this.nextSeq;
    const count = builders.length;
    const texts = new Array<string>(count);
    const offsets = new Uint32Array(count + 1);
    let total = 0;
    for (let i = 0; i < count; i++) {
      const text = builders[i]!(firstSeq + i);
      const length = Buffer.byteLength(text, 'utf8');
      if (length > this.maxPayloadBytes) {
        throw storeErrors.create('RS_ERR_BATCH_TOO_LARGE', `record of ${length} bytes exceeds the segment size ${this.segmentBytes}`);
      }
      texts[i] = text;
      offsets[i] = total;
      total += RECORD_HEADER_BYTES + length;
    }
    offsets[count] = total;
    const spare = this.spareBacking;
    const backing = spare && spare.length >= total ? spare : Buffer.allocUnsafe(total);
    if (backing === spare) this.spareBacking = undefined;
    const bytes = backing.subarray(0, total);
    for (let i = 0; i < count; i++) {
      const at = offsets[i]!;
      const length = bytes.write(texts[i]!, at + RECORD_HEADER_BYTES, 'utf8');
      sealRecordAt(bytes, at, firstSeq + i, length);
    }
    return { firstSeq, bytes, backing, offsets };
  }

  private scheduleFlush(): void {
    if (this.flushing || this.cancelFlushTimer) return;
    const run = () => {
      this.cancelFlushTimer = undefined;
      this.startFlushLoop();
    };
    if (this.pendingBytes >= this.groupCommitMaxBytes || this.groupCommitWaitMs === 0 || this.state === 'closing') {
      const immediate = setImmediate(run);
      this.cancelFlushTimer = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(run, this.groupCommitWaitMs);
      this.cancelFlushTimer = () => clearTimeout(timer);
    }
  }

  private startFlushLoop(): void {
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
      // Appends that arrived after the loop's last check would otherwise wait for the next append.
      if (this.pending.length > 0 && (this.state === 'open' || this.state === 'closing')) this.scheduleFlush();
    });
  }

  /** Appends that queued up during one write+fsync go out together in the next: that is the group commit. */
  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0 && this.state !== 'failed') {
      const group: PendingAppend[] = [];
      let groupBytes = 0;
      while (this.pending.length > 0 && (group.length === 0 || groupBytes + this.pending[0]!.bytes <= this.groupCommitMaxBytes)) {
        const next = this.pending.shift()!;
        group.push(next);
        groupBytes += next.bytes;
      }
      try {
        await this.writeDurably(group.map((append) => append.batch));
        // Written (the file system copied the bytes): the largest allocation serves the next append.
        for (const { batch } of group) {
          if (batch.backing.length <= MAX_SPARE_BYTES && batch.backing.length > (this.spareBacking?.length ?? 0)) this.spareBacking = batch.backing;
        }
      } catch (error) {
        await this.cutUnsyncedTail(error);
        this.failStop(error, group);
        return;
      } finally {
        this.pendingBytes -= groupBytes;
      }
      for (const append of group) append.resolve();
      this.notifyAppendWaiters();
    }
  }

  /** One write + one fdatasync per segment touched; the last record of each write carries COMMIT. */
  private async writeDurably(batches: EncodedBatch[]): Promise<void> {
    let chunk: Span[] = [];
    let chunkBytes = 0;
    const flushChunk = async () => {
      if (chunk.length === 0) return;
      const segment = this.segments.at(-1)!;
      const file = await this.activeHandle();
      const last = chunk.at(-1)!;
      markCommitAt(last.batch.bytes, last.batch.offsets[last.to - 1]!);
      const pieces = chunk.map((span) => span.batch.bytes.subarray(span.batch.offsets[span.from]!, span.batch.offsets[span.to]!));
      await file.append(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, chunkBytes));
      segment.writtenBytes += chunkBytes;
      this.bytesOnDisk += chunkBytes;
      await file.datasync();
      this.markDurable(segment, chunk);
      chunk = [];
      chunkBytes = 0;
    };
    for (const batch of batches) {
      const count = batch.offsets.length - 1;
      let from = 0;
      while (from < count) {
        const segment = this.segments.at(-1);
        const seq = batch.firstSeq + from;
        // Seqs inside a segment are consecutive, and we only append to segments of the current format.
        const previousSeq = chunk.length > 0 ? chunkLastSeq(chunk) : segment?.lastSeq;
        const fits = segment !== undefined && segment.version === SEGMENT_FORMAT_VERSION && previousSeq! + 1 === seq;
        const used = segment ? segment.writtenBytes + chunkBytes : 0;
        if (!fits || (used > segment.dataStart && used + recordBytes(batch, from) > this.segmentBytes)) {
          await flushChunk();
          await this.rotate(seq);
        }
        // Take every following record that still fits this segment (at least one: it is never empty here).
        let to = from + 1;
        let spanUsed = this.segments.at(-1)!.writtenBytes + chunkBytes + recordBytes(batch, from);
        while (to < count && spanUsed + recordBytes(batch, to) <= this.segmentBytes) {
          spanUsed += recordBytes(batch, to);
          to += 1;
        }
        chunk.push({ batch, from, to });
        chunkBytes += batch.offsets[to]! - batch.offsets[from]!;
        from = to;
      }
    }
    await flushChunk();
  }

  private markDurable(segment: Segment, spans: Span[]): void {
    const now = Date.now();
    for (const { batch, from, to } of spans) {
      for (let i = from; i < to; i++) {
        const offset = segment.durableBytes;
        const lastIndexed = segment.index.at(-1);
        const seq = batch.firstSeq + i;
        if (!lastIndexed || offset - lastIndexed.offset >= INDEX_STRIDE_BYTES) segment.index.push({ seq, offset, at: now });
        segment.durableBytes += recordBytes(batch, i);
      }
      segment.records += to - from;
      segment.lastSeq = batch.firstSeq + to - 1;
      this.durableSeq = segment.lastSeq;
    }
  }

  /** New segment: header written and synced, and the directory entry synced, before any record goes in. */
  private async rotate(firstSeq: number): Promise<void> {
    if (this.activeFile) {
      await this.activeFile.close();
      this.activeFile = undefined;
    }
    const name = segmentFileName(firstSeq);
    const path = join(this.dir, name);
    // 'create' fails if the file exists: a segment with this name would mean a seq was about to be reused.
    this.activeFile = await this.fs.open(path, 'create');
    this.segments.push({
      firstSeq,
      path,
      name,
      version: SEGMENT_FORMAT_VERSION,
      dataStart: SEGMENT_HEADER_BYTES,
      lastSeq: firstSeq - 1,
      records: 0,
      durableBytes: SEGMENT_HEADER_BYTES,
      writtenBytes: SEGMENT_HEADER_BYTES,
      index: [],
      damaged: [],
    });
    this.bytesOnDisk += SEGMENT_HEADER_BYTES;
    await this.activeFile.append(encodeSegmentHeader());
    await this.activeFile.datasync();
    await this.fs.fsyncDir(this.dir);
    this.logger.debug({ segment: name }, 'opened a new segment');
  }

  private async activeHandle(): Promise<BufferFile> {
    this.activeFile ??= await this.fs.open(this.segments.at(-1)!.path, 'append');
    return this.activeFile;
  }

  /**
   * After a failed write or fdatasync of the newest segment, cut it back to its last durable byte and
   * sync that, before anybody is told of the failure. Linux may mark the pages of a failed writeback
   * clean (fsyncgate): left in place, those bytes would be read back from the page cache after a plain
   * restart as if they were on disk, shipped, and a POS retry of the refused sale answered "duplicate",
   * until a power cut took them. A truncate is metadata, journaled and synced on its own, so a
   * successful one takes the failed bytes out of the file for good; the refused sales get new seqs
   * when the POS retries (seqs of a never-acknowledged write are free, invariant 2). If the cut fails
   * too, the disk is beyond what a process can repair: we say so, and recovery reads what it finds.
   */
  private async cutUnsyncedTail(writeError: unknown): Promise<void> {
    const segment = this.segments.at(-1);
    const file = this.activeFile;
    if (!segment || !file) return;
    try {
      await file.truncate(segment.durableBytes);
      await file.datasync();
      this.bytesOnDisk -= segment.writtenBytes - segment.durableBytes;
      segment.writtenBytes = segment.durableBytes;
      this.logger.warn({ segment: segment.name, offset: segment.durableBytes }, 'cut the failed write off the newest segment: only acknowledged records remain');
    } catch (cutError) {
      this.logger.error(
        { err: cutError, writeError, segment: segment.name, offset: segment.durableBytes },
        'could not cut the failed write off the newest segment: after a restart its records may be read back from the page cache although they never reached the disk',
      );
    }
  }

  private failStop(error: unknown, group: PendingAppend[]): void {
    if (this.state !== 'failed') {
      this.state = 'failed';
      const errno = (error as NodeJS.ErrnoException | undefined)?.code ?? null;
      this.failure = storeErrors.create(
        'RS_ERR_BUFFER_IO',
        `buffer write or fsync failed (${(error as Error)?.message ?? String(error)}); the buffer stopped and acknowledges nothing until the store restarts`,
        { cause: error, details: { errno } },
      );
      this.fault = { code: 'RS_ERR_BUFFER_IO', errno, message: this.failure.message, at: new Date().toISOString() };
      this.logger.error({ err: error, errno, dir: this.dir }, 'buffer write or fsync failed: fail-stop, no further appends or acks until restart');
    }
    const waiting = [...group, ...this.pending];
    this.pending = [];
    this.pendingBytes = 0;
    for (const append of waiting) append.reject(this.failure!);
    this.notifyAppendWaiters();
  }

  private unusableForWrites(): RetailSyncError | undefined {
    if (this.state === 'failed') return this.failure;
    if (this.state !== 'open') return storeErrors.create('RS_ERR_BUFFER_CLOSED', 'the buffer is closed');
    return undefined;
  }

  // ── read ──────────────────────────────────────────────────────────────────────────────────────

  /**
   * Durable records with seq > `afterSeq`, in seq order: at most `maxRecords`, and stopping once
   * `maxBytes` is reached (always at least one record when there is one). Read from disk; a record's
   * payload is parsed only when used (`json` has its bytes). A damaged record met here is quarantined
   * and reported like one found at open, and reading continues after it. A reader that continues where
   * the last read stopped (the shipper) starts there without seeking.
   */
  async readFrom(afterSeq: number, maxRecords: number, maxBytes: number): Promise<BufferRecord<T>[]> {
    if (this.state === 'closed') throw storeErrors.create('RS_ERR_BUFFER_CLOSED', 'the buffer is closed');
    return this.segmentLock.run(async () => {
      const out: BufferRecord<T>[] = [];
      let bytes = 0;
      const limitSeq = this.durableSeq;
      const wanted = afterSeq + 1;
      for (const segment of [...this.segments]) {
        if (segment.lastSeq <= afterSeq || segment.records === 0) continue;
        const averageBytes = (segment.durableBytes - segment.dataStart) / segment.records;
        const readSize = () => clamp(Math.min(maxBytes - bytes + averageBytes, (maxRecords - out.length) * averageBytes * 1.25), MIN_READ_BYTES, MAX_READ_BYTES);
        const visit = (record: BufferRecord<T>) => {
          if (record.seq > limitSeq) return false;
          out.push(record);
          bytes += record.bytes;
          return out.length < maxRecords && bytes < maxBytes;
        };
        const result = await this.readSegment(segment, this.startOf(segment, wanted), wanted, readSize, visit, await this.readerFor(segment));
        // Stopped at a record past limitSeq: that record was not taken, so the next read starts at it.
        if (!result.stopped || out.at(-1)?.seq === result.next.seq - 1) this.readPosition = { segment, ...result.next };
        if (result.stopped) break;
      }
      return out;
    });
  }

  /** The read handle of `segment`, kept open between reads (under segmentLock only: nobody else closes it mid-read). */
  private async readerFor(segment: Segment): Promise<BufferFile> {
    if (this.reader?.segment === segment) return this.reader.file;
    await this.closeReader();
    const file = await this.fs.open(segment.path, 'read');
    this.reader = { segment, file };
    return file;
  }

  private async closeReader(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    await reader?.file.close().catch(() => undefined);
  }

  private startOf(segment: Segment, seq: number): { offset: number; seq: number } {
    const last = this.readPosition;
    if (last && last.segment === segment && last.seq === seq) return { offset: last.offset, seq };
    return seekPoint(segment, seq);
  }

  /**
   * Visits the durable records of `segment` from `from` whose seq is ≥ `minSeq`; `visit` returns false
   * to stop. Returns whether it was stopped, and where the next record starts (after the last visited).
   */
  private async readSegment(
    segment: Segment,
    from: { offset: number; seq: number },
    minSeq: number,
    readSize: () => number,
    visit: (record: BufferRecord<T>) => boolean,
    shared?: BufferFile,
  ): Promise<{ stopped: boolean; next: { offset: number; seq: number } }> {
    const end = segment.durableBytes;
    const file = shared ?? (await this.fs.open(segment.path, 'read'));
    try {
      let position = from.offset;
      let expectedSeq = from.seq;
      let size = readSize();
      while (position < end) {
        const known = segment.damaged.find((range) => range.offset === position);
        if (known) {
          position = known.end;
          expectedSeq = known.nextSeq ?? expectedSeq;
          continue;
        }
        const chunk = await file.read(position, Math.min(end - position, size));
        let cursor = 0;
        let damagedAt: number | undefined;
        while (cursor < chunk.length) {
          const recordEnd = checkRecordAt(chunk, cursor, this.maxPayloadBytes, segment.version);
          if (recordEnd === INCOMPLETE) {
            const decoded = decodeRecordAt(chunk, cursor, this.maxPayloadBytes, segment.version);
            if (decoded.kind === 'incomplete' && position + cursor + decoded.needed <= end) break;
          }
          const seq = recordEnd > 0 ? readSeq(chunk, cursor + 8) : 0;
          if (recordEnd <= 0 || seq < expectedSeq) {
            damagedAt = position + cursor;
            break;
          }
          if (seq >= minSeq && !visit(new StoredRecord<T>(seq, recordEnd - cursor, chunk, cursor + RECORD_HEADER_BYTES, recordEnd))) {
            return { stopped: true, next: { offset: position + recordEnd, seq: seq + 1 } };
          }
          cursor = recordEnd;
          expectedSeq = seq + 1;
        }
        if (damagedAt !== undefined) {
          const skipped = segment.damaged.find((range) => range.offset === damagedAt) ?? (await this.quarantineOnRead(segment, file, damagedAt, expectedSeq));
          position = skipped.end;
          expectedSeq = skipped.nextSeq ?? expectedSeq;
          size = readSize();
          continue;
        }
        if (cursor === 0) {
          // One record bigger than the chunk: read exactly it next time.
          const decoded = decodeRecordAt(chunk, 0, this.maxPayloadBytes, segment.version);
          size = decoded.kind === 'incomplete' ? decoded.needed : readSize();
          continue;
        }
        position += cursor;
        size = readSize();
      }
      return { stopped: false, next: { offset: position, seq: expectedSeq } };
    } finally {
      if (!shared) await file.close();
    }
  }

  /** A damaged range the reader met after open (bit rot): quarantine it, remember it, and step past it. */
  private async quarantineOnRead(segment: Segment, file: BufferFile, at: number, expectedSeq: number): Promise<KnownDamage> {
    const rest = await file.read(at, segment.durableBytes - at);
    const next = findNextRecord(rest, 1, expectedSeq, segment.lastSeq, this.maxPayloadBytes, segment.version);
    const length = next?.offset ?? rest.length;
    const lastLost = next ? next.seq - 1 : segment.lastSeq;
    const range: DamagedRange = {
      offset: at,
      length,
      lostSeqs: lastLost >= expectedSeq ? { first: expectedSeq, last: lastLost } : null,
      reason: 'damaged record found while reading (after open)',
    };
    const known: KnownDamage = { offset: at, end: at + length, nextSeq: next?.seq };
    segment.damaged.push(known);
    try {
      await this.enterQuarantine(segment.name, [range], () => rest.subarray(0, length));
    } catch (error) {
      this.failStop(error, []);
    }
    return known;
  }

  private async enterQuarantine(segmentName: string, ranges: DamagedRange[], bytesOf: (range: DamagedRange) => Buffer): Promise<void> {
    const entered = await this.quarantine.add(segmentName, ranges, bytesOf);
    for (const range of entered) {
      const fields = { segment: segmentName, offset: range.offset, length: range.length, lostSeqs: range.lostSeqs, reason: range.reason, quarantined: this.quarantine.ranges, lostRecords: this.quarantine.lostRecords };
      const unackedLost = range.lostSeqs !== null && range.lostSeqs.last > this.ackedSeq;
      if (unackedLost || range.lostSeqs === null) this.logger.error(fields, 'damaged buffer bytes entered in quarantine.log');
      else this.logger.warn(fields, 'damaged buffer bytes entered in quarantine.log (already acked by central)');
    }
  }

  /** Resolves once a record with seq > `afterSeq` is durable, after `timeoutMs`, or when the buffer stops. */
  waitForAppend(afterSeq: number, timeoutMs: number): Promise<void> {
    if (this.durableSeq > afterSeq || this.state === 'failed' || this.state === 'closed') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.appendWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.appendWaiters.add(done);
    });
  }

  private notifyAppendWaiters(): void {
    for (const wake of [...this.appendWaiters]) wake();
  }

  // ── ack ───────────────────────────────────────────────────────────────────────────────────────

  /**
   * Records that central confirmed every seq ≤ `uptoSeq`: persists the cursor (atomically, durably),
   * then deletes segments that became fully acked. A lower or equal seq is a no-op. Rejects with
   * RS_ERR_BUFFER_IO after a fail-stop and RS_ERR_BUFFER_ACK_RANGE for a seq not yet durable.
   */
  async ack(uptoSeq: number): Promise<void> {
    if (this.state === 'failed') throw this.failure!;
    if (this.state === 'closed') throw storeErrors.create('RS_ERR_BUFFER_CLOSED', 'the buffer is closed');
    if (uptoSeq > this.durableSeq) {
      throw storeErrors.create('RS_ERR_BUFFER_ACK_RANGE', `cannot ack seq ${uptoSeq}: the highest durable seq is ${this.durableSeq}`);
    }
    await this.ackLock.run(async () => {
      if (uptoSeq <= this.ackedSeq) return;
      if (this.state === 'failed') throw this.failure!;
      try {
        await writeAckCursor(this.fs, this.dir, uptoSeq);
      } catch (error) {
        this.failStop(error, []);
        throw this.failure!;
      }
      this.ackedSeq = uptoSeq;
      await this.deleteAckedSegments();
    });
  }

  /**
   * Runs under ackLock (or alone at open), so deletions never race each other. Readers are held off
   * (segmentLock) only around the unlink: `beforeSegmentDelete` (the receipt index fsyncing the
   * segment's keys, reading the segment only when its memory lacks some) runs while readers go on
   * past the cursor, never in this acked segment.
   */
  private async deleteAckedSegments(): Promise<void> {
    let deleted = 0;
    try {
      while (this.segments.length > 1 && this.segments[0]!.lastSeq <= this.ackedSeq) {
        const segment = this.segments[0]!;
        if (this.options.beforeSegmentDelete) {
          await this.options.beforeSegmentDelete({
            firstSeq: segment.firstSeq,
            lastSeq: segment.lastSeq,
            complete: segment.damaged.length === 0 && segment.records === segment.lastSeq - segment.firstSeq + 1,
            records: async () => {
              const records: BufferRecord<T>[] = [];
              await this.readSegment(segment, { offset: segment.dataStart, seq: segment.firstSeq }, segment.firstSeq, () => MAX_READ_BYTES, (record) => records.push(record) > 0);
              return records;
            },
          });
        }
        await this.segmentLock.run(async () => {
          if (this.reader?.segment === segment) await this.closeReader();
          await this.fs.unlink(segment.path);
          this.segments.shift();
          if (this.readPosition?.segment === segment) this.readPosition = undefined;
          this.bytesOnDisk -= segment.writtenBytes;
        });
        deleted += 1;
      }
      if (deleted > 0) await this.fs.fsyncDir(this.dir);
    } catch (error) {
      // Not data loss: the cursor already covers it; the segment stays (or comes back) and is deleted on the next ack or open.
      this.logger.warn({ err: error }, 'could not delete a fully acked segment; will retry');
    }
  }

  // ── stats and lifecycle ───────────────────────────────────────────────────────────────────────

  stats(): BufferStats {
    return {
      lastSeq: this.durableSeq,
      ackedSeq: this.ackedSeq,
      records: Math.max(0, this.durableSeq - this.ackedSeq),
      bytes: this.bytesOnDisk,
      oldestUnackedAt: this.oldestUnackedAt(),
      quarantined: this.quarantine.ranges,
      lostRecords: this.quarantine.lostRecords,
      state: this.state === 'closing' ? 'open' : this.state,
      fault: this.fault,
    };
  }

  private oldestUnackedAt(): string | null {
    if (this.durableSeq <= this.ackedSeq) return null;
    const segment = this.segments.find((candidate) => candidate.lastSeq > this.ackedSeq && candidate.records > 0);
    if (!segment || segment.index.length === 0) return null;
    const entry = segment.index[indexPosition(segment, this.ackedSeq + 1)] ?? segment.index[0]!;
    return new Date(entry.at).toISOString();
  }

  /** Flushes what is pending (appends already accepted still get their fsync), then releases files. */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    if (this.state === 'open') this.state = 'closing';
    while (this.pending.length > 0 || this.flushing || this.cancelFlushTimer) {
      if (this.cancelFlushTimer && !this.flushing) {
        this.cancelFlushTimer();
        this.cancelFlushTimer = undefined;
        this.startFlushLoop();
      }
      await this.flushing;
    }
    await this.ackLock.run(async () => undefined);
    await this.segmentLock.run(() => this.closeReader());
    this.state = 'closed';
    await this.activeFile?.close().catch(() => undefined);
    this.activeFile = undefined;
    this.notifyAppendWaiters();
  }

  // ── recovery ──────────────────────────────────────────────────────────────────────────────────

  private async recover(): Promise<void> {
    await this.fs.mkdir(this.dir);
    const names = await this.fs.readdir(this.dir);
    for (const name of names.filter((candidate) => candidate.endsWith('.tmp'))) await this.fs.unlink(join(this.dir, name));
    this.quarantine = await QuarantineLog.open(this.fs, this.dir, this.logger);
    const cursor = await readAckCursor(this.fs, this.dir);
    if (cursor.kind === 'present') this.ackedSeq = cursor.ackedSeq;

    const segmentNames = names
      .map((name) => ({ name, match: SEGMENT_NAME.exec(name) }))
      .filter((entry): entry is { name: string; match: RegExpExecArray } => entry.match !== null)
      .map((entry) => ({ name: entry.name, firstSeq: Number(entry.match[1]) }))
      .sort((a, b) => a.firstSeq - b.firstSeq);

    let highestSeq = 0;
    let changedDirectory = false;
    for (const [position, { name, firstSeq }] of segmentNames.entries()) {
      const result = await this.recoverSegment(name, firstSeq, segmentNames[position + 1]?.firstSeq);
      highestSeq = Math.max(highestSeq, result.highestSeq);
      changedDirectory ||= result.segment === undefined;
      if (result.segment) this.segments.push(result.segment);
    }
    if (changedDirectory) await this.fs.fsyncDir(this.dir);

    if (cursor.kind !== 'present') {
      if (cursor.kind === 'unreadable') {
        this.logger.error({ reason: cursor.reason }, 'ack cursor is unreadable; re-shipping every buffered record (central dedupes by event_id)');
      }
      // Segments are deleted only after a durable cursor covered them, so the oldest one left is unacked.
      const oldestKept = this.segments[0]?.firstSeq;
      this.ackedSeq = oldestKept === undefined ? highestSeq : oldestKept - 1;
    }
    this.durableSeq = Math.max(highestSeq, this.ackedSeq);
    this.nextSeq = this.durableSeq + 1;
    this.bytesOnDisk = this.segments.reduce((sum, segment) => sum + segment.writtenBytes, 0);
    await this.deleteAckedSegments();
    this.logger.info(
      {
        dir: this.dir,
        segments: this.segments.length,
        lastSeq: this.durableSeq,
        ackedSeq: this.ackedSeq,
        bytes: this.bytesOnDisk,
        quarantined: this.quarantine.ranges,
        lostRecords: this.quarantine.lostRecords,
      },
      'buffer opened',
    );
  }

  /** Scans one segment, quarantines its damage, cuts a torn tail, syncs it. Undefined segment: it was removed. */
  private async recoverSegment(name: string, firstSeq: number, nextFirstSeq: number | undefined): Promise<{ segment: Segment | undefined; highestSeq: number }> {
    const path = join(this.dir, name);
    const isNewest = nextFirstSeq === undefined;
    const bytes = (await readWholeFile(this.fs, path)) ?? Buffer.alloc(0);
    const scan = scanSegment({ bytes, firstSeq, maxPayloadBytes: this.maxPayloadBytes, isNewest, nextFirstSeq });
    if (scan.damaged.length > 0) await this.enterQuarantine(name, scan.damaged, (range) => bytes.subarray(range.offset, range.offset + range.length));
    const tornBytes = bytes.length - scan.tornTailAt;
    if (tornBytes > 0) {
      const fields = { segment: name, offset: scan.tornTailAt, bytes: tornBytes, droppedRecords: scan.tornRecords };
      this.logger.warn(fields, scan.tornRecords > 0 ? 'cut a torn write (with intact records after its hole, never acknowledged)' : 'cut a torn tail (a write that was never acknowledged)');
    }
    if (isNewest && scan.records.length === 0) {
      await this.fs.unlink(path);
      return { segment: undefined, highestSeq: scan.highestSeq };
    }
    const file = await this.fs.open(path, 'readwrite');
    try {
      if (tornBytes > 0) await file.truncate(scan.tornTailAt);
      await file.datasync();
    } finally {
      await file.close();
    }
    const lastGood = scan.records.at(-1);
    const segment: Segment = {
      firstSeq,
      path,
      name,
      version: scan.version,
      dataStart: scan.dataStart,
      lastSeq: scan.highestSeq,
      records: scan.records.length,
      durableBytes: lastGood ? lastGood.offset + lastGood.length : scan.dataStart,
      writtenBytes: Math.min(bytes.length, scan.tornTailAt),
      index: [],
      // Zero-length entries (seqs missing with no bytes to skip) need no skipping.
      damaged: scan.damaged
        .filter((range) => range.length > 0)
        .map((range) => ({ offset: range.offset, end: range.offset + range.length, nextSeq: range.lostSeqs ? range.lostSeqs.last + 1 : undefined })),
    };
    for (const record of scan.records) this.recoverRecord(segment, record);
    if (scan.damaged.some((range) => lostCount(range) > 0)) this.logger.info({ segment: name, records: scan.records.length }, 'segment recovered around damaged ranges');
    return { segment, highestSeq: scan.highestSeq };
  }

  private recoverRecord(segment: Segment, record: ScannedRecord): void {
    const lastIndexed = segment.index.at(-1);
    const parsed = this.options.onRecoveredRecord || !lastIndexed || record.offset - lastIndexed.offset >= INDEX_STRIDE_BYTES ? parseJson<T>(record.payload) : undefined;
    if (!lastIndexed || record.offset - lastIndexed.offset >= INDEX_STRIDE_BYTES) {
      segment.index.push({ seq: record.seq, offset: record.offset, at: appendedAtOf(parsed?.value) });
    }
    if (this.options.onRecoveredRecord && parsed) this.options.onRecoveredRecord(StoredRecord.parsed(record.seq, record.length, record.payload, parsed.value));
  }
}

/** Position in the sparse index of the last entry with seq ≤ `seq` (0 when none). */
function indexPosition(segment: Segment, seq: number): number {
  let low = 0;
  let high = segment.index.length - 1;
  let found = 0;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (segment.index[mid]!.seq <= seq) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

/** Where to start reading for `seq`: the nearest indexed record at or before it, and the seq found there. */
function seekPoint(segment: Segment, seq: number): { offset: number; seq: number } {
  const entry = segment.index[indexPosition(segment, seq)];
  if (!entry || entry.seq > seq) return { offset: segment.dataStart, seq: segment.firstSeq };
  return { offset: entry.offset, seq: entry.seq };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, Math.ceil(value)));
}

function recordBytes(batch: EncodedBatch, i: number): number {
  return batch.offsets[i + 1]! - batch.offsets[i]!;
}

function chunkLastSeq(chunk: Span[]): number {
  const last = chunk.at(-1)!;
  return last.batch.firstSeq + last.to - 1;
}

function parseJson<T>(payload: Buffer): { value: T } | undefined {
  try {
    return { value: JSON.parse(payload.toString('utf8')) as T };
  } catch {
    return undefined;
  }
}

/** Append time of a recovered record: its envelope's received_at, else now (an odd payload must not block open). */
function appendedAtOf(payload: unknown): number {
  const receivedAt = (payload as { received_at?: unknown } | null | undefined)?.received_at;
  const at = typeof receivedAt === 'string' ? Date.parse(receivedAt) : Number.NaN;
  return Number.isNaN(at) ? Date.now() : at;
}
