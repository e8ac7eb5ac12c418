/**
 * The store's disk buffer: a segmented append-only log of SaleEvents between intake and shipper.
 *
 * # Invariants
 * 1. An append resolves only after a completed fdatasync covers every byte of it (group commit:
 *    concurrent appends share one write and one fdatasync, bounded by a short wait and a byte budget).
 *    Nothing is ever acknowledged that is not on stable storage.
 * 2. Seqs are gap-free and in disk order: `append()` assigns them synchronously, before its first
 *    await, so call order = seq order = byte order. A rejected append (full, failed, closed) assigns none.
 *    A seq is never reused: after a restart the next seq is above every seq any segment, quarantined
 *    record, segment name or the cursor accounts for.
 * 3. Readers (`readFrom`) see only records covered by a completed fdatasync, so nothing that a crash
 *    could still take back is ever shipped.
 * 4. The ack cursor is made durable before any segment it covers is deleted; a segment is deleted only
 *    once every record in it is acked, after `beforeSegmentDelete` (the receipt index) has persisted
 *    what it needs. The newest segment is never deleted, so its name keeps the seq high-water mark.
 * 5. Fail-stop: after any failed write or fsync the buffer acknowledges nothing more (appends and acks
 *    reject with RS_ERR_BUFFER_IO) until the process restarts and recovery re-reads the disk. Retrying an
 *    fsync is unsafe: the kernel may have dropped the dirty pages and report success (fsyncgate).
 * 6. Recovery never skips data silently: a torn tail (bytes of a write whose fsync never completed, so
 *    never acknowledged) is cut; a damaged record is copied to quarantine.log, logged at error, counted
 *    in `stats().quarantined`, and the records after it stay readable. Every segment is fdatasynced at
 *    open, so records written by a process that crashed before its fsync are durable before shipping.
 * 7. Memory does not grow with buffered volume: records are read from disk in batches; per segment we
 *    keep a few numbers and a sparse index (one entry per 64 KiB) for seeking.
 *
 * # On disk (one directory per store)
 *   segment-<first seq, 20 digits>.log  records, see record-format.ts:
 *                                       [u32 len][u32 crc32c(seq‖payload)][u64 seq][payload JSON], LE.
 *                                       A record never spans segments. The name's seq is the seq the
 *                                       first record was given; rotation happens past `segmentBytes`.
 *   cursor.json                         {"acked_seq": N}, replaced atomically (see ack-cursor.ts).
 *   quarantine.log                      one JSON line per damaged range: segment, offset, presumed seqs,
 *                                       reason, raw bytes (base64). A line may repeat if the store
 *                                       crashed in the middle of repairing that segment.
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
import { decodeRecordAt, encodeRecord, RECORD_HEADER_BYTES } from './record-format.ts';
import { scanSegment, type QuarantinedRange, type ScannedRecord } from './segment-scan.ts';
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
  /** Runs with every record of a segment before that segment is deleted; must be durable when it resolves. */
  beforeSegmentDelete?: (records: BufferRecord<T>[]) => Promise<void>;
}

export interface BufferRecord<T> {
  seq: number;
  payload: T;
  /** Bytes on disk, header included. */
  bytes: number;
}

export type BufferState = 'open' | 'failed' | 'closed';

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
  /** Damaged ranges moved to quarantine.log over the buffer's life. */
  quarantined: number;
  state: BufferState;
}

interface IndexEntry {
  seq: number;
  offset: number;
  /** Epoch ms the record was appended. */
  at: number;
}

interface Segment {
  firstSeq: number;
  path: string;
  /** Highest durable seq in it; firstSeq − 1 while empty. */
  lastSeq: number;
  records: number;
  /** Bytes covered by a completed fdatasync: readers stop here. */
  durableBytes: number;
  /** Bytes handed to the file, ≥ durableBytes. */
  writtenBytes: number;
  index: IndexEntry[];
}

interface EncodedRecord {
  seq: number;
  bytes: Buffer;
}

interface PendingAppend {
  records: EncodedRecord[];
  bytes: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

const MiB = 1024 * 1024;
const INDEX_STRIDE_BYTES = 64 * 1024;
const READ_CHUNK_BYTES = 256 * 1024;
const QUARANTINE_FILE = 'quarantine.log';
const SEGMENT_NAME = /^segment-(\d{20})\.log$/;

export function segmentFileName(firstSeq: number): string {
  return `segment-${String(firstSeq).padStart(20, '0')}.log`;
}

export class DiskBuffer<T> {
  private state: 'open' | 'closing' | 'failed' | 'closed' = 'open';
  private failure: RetailSyncError | undefined;
  private segments: Segment[] = [];
  private activeFile: BufferFile | undefined;
  private nextSeq = 1;
  private durableSeq = 0;
  private ackedSeq = 0;
  private quarantined = 0;
  private bytesOnDisk = 0;
  private pending: PendingAppend[] = [];
  private pendingBytes = 0;
  private cancelFlushTimer: (() => void) | undefined;
  private flushing: Promise<void> | undefined;
  private readonly segmentLock = new SerialQueue();
  private readonly ackLock = new SerialQueue();
  private readonly appendWaiters = new Set<() => void>();
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
    this.maxPayloadBytes = this.segmentBytes - RECORD_HEADER_BYTES;
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
    const unusable = this.unusableForWrites();
    if (unusable) return Promise.reject(unusable);
    if (builders.length === 0) return Promise.resolve([]);
    const records: EncodedRecord[] = [];
    let bytes = 0;
    try {
      builders.forEach((build, i) => {
        const seq = this.nextSeq + i;
        const payload = Buffer.from(JSON.stringify(build(seq)), 'utf8');
        if (payload.length > this.maxPayloadBytes) {
          throw storeErrors.create('RS_ERR_BATCH_TOO_LARGE', `record of ${payload.length} bytes exceeds the segment size ${this.segmentBytes}`);
        }
        const encoded = encodeRecord(seq, payload);
        records.push({ seq, bytes: encoded });
        bytes += encoded.length;
      });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (this.bytesOnDisk + this.pendingBytes + bytes > this.maxBytes) {
      return Promise.reject(
        storeErrors.create('RS_ERR_BUFFER_FULL', `buffer is full: ${this.bytesOnDisk + this.pendingBytes} of ${this.maxBytes} bytes used, ${bytes} more requested`, {
          details: { usedBytes: this.bytesOnDisk + this.pendingBytes, maxBytes: this.maxBytes },
        }),
      );
    }
    this.nextSeq += builders.length;
    const seqs = records.map((record) => record.seq);
    return new Promise<number[]>((resolve, reject) => {
      this.pending.push({ records, bytes, resolve: () => resolve(seqs), reject });
      this.pendingBytes += bytes;
      this.scheduleFlush();
    });
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
        await this.writeDurably(group.flatMap((append) => append.records));
      } catch (error) {
        this.failStop(error, group);
        return;
      } finally {
        this.pendingBytes -= groupBytes;
      }
      for (const append of group) append.resolve();
      this.notifyAppendWaiters();
    }
  }

  private async writeDurably(records: EncodedRecord[]): Promise<void> {
    let chunk: EncodedRecord[] = [];
    let chunkBytes = 0;
    const flushChunk = async () => {
      if (chunk.length === 0) return;
      const segment = this.segments.at(-1)!;
      const file = await this.activeHandle();
      await file.append(chunk.length === 1 ? chunk[0]!.bytes : Buffer.concat(chunk.map((record) => record.bytes), chunkBytes));
      segment.writtenBytes += chunkBytes;
      this.bytesOnDisk += chunkBytes;
      await file.datasync();
      this.markDurable(segment, chunk);
      chunk = [];
      chunkBytes = 0;
    };
    for (const record of records) {
      const segment = this.segments.at(-1);
      const used = segment ? segment.writtenBytes + chunkBytes : 0;
      // Seqs inside a segment are consecutive; after a quarantined tail the next seq starts a new segment.
      const consecutive = !segment || segment.records + chunk.length === 0 || (chunk.at(-1)?.seq ?? segment.lastSeq) + 1 === record.seq;
      if (!segment || !consecutive || (used > 0 && used + record.bytes.length > this.segmentBytes)) {
        await flushChunk();
        await this.rotate(record.seq);
      }
      chunk.push(record);
      chunkBytes += record.bytes.length;
    }
    await flushChunk();
  }

  private markDurable(segment: Segment, records: EncodedRecord[]): void {
    const now = Date.now();
    for (const record of records) {
      const offset = segment.durableBytes;
      const lastIndexed = segment.index.at(-1);
      if (!lastIndexed || offset - lastIndexed.offset >= INDEX_STRIDE_BYTES) segment.index.push({ seq: record.seq, offset, at: now });
      segment.durableBytes += record.bytes.length;
      segment.records += 1;
      segment.lastSeq = record.seq;
      this.durableSeq = record.seq;
    }
  }

  private async rotate(firstSeq: number): Promise<void> {
    if (this.activeFile) {
      await this.activeFile.close();
      this.activeFile = undefined;
    }
    const path = join(this.dir, segmentFileName(firstSeq));
    // 'create' fails if the file exists: a segment with this name would mean a seq was about to be reused.
    this.activeFile = await this.fs.open(path, 'create');
    await this.fs.fsyncDir(this.dir);
    this.segments.push({ firstSeq, path, lastSeq: firstSeq - 1, records: 0, durableBytes: 0, writtenBytes: 0, index: [] });
    this.logger.debug({ segment: path }, 'opened a new segment');
  }

  private async activeHandle(): Promise<BufferFile> {
    this.activeFile ??= await this.fs.open(this.segments.at(-1)!.path, 'append');
    return this.activeFile;
  }

  private failStop(error: unknown, group: PendingAppend[]): void {
    this.state = 'failed';
    this.failure = storeErrors.create(
      'RS_ERR_BUFFER_IO',
      `buffer write or fsync failed (${(error as Error)?.message ?? String(error)}); the buffer stopped and acknowledges nothing until the store restarts`,
      { cause: error },
    );
    this.logger.error({ err: error, dir: this.dir }, 'buffer write or fsync failed: fail-stop, no further appends or acks until restart');
    const waiting = [...group, ...this.pending];
    this.pending = [];
    this.pendingBytes = 0;
    for (const append of waiting) append.reject(this.failure);
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
   * `maxBytes` is reached (always at least one record when there is one). Read from disk.
   * Throws RS_ERR_BUFFER_CORRUPT when a record fails its checksum (a restart quarantines it).
   */
  async readFrom(afterSeq: number, maxRecords: number, maxBytes: number): Promise<BufferRecord<T>[]> {
    if (this.state === 'closed') throw storeErrors.create('RS_ERR_BUFFER_CLOSED', 'the buffer is closed');
    return this.segmentLock.run(async () => {
      const out: BufferRecord<T>[] = [];
      let bytes = 0;
      const limitSeq = this.durableSeq;
      for (const segment of [...this.segments]) {
        if (segment.lastSeq <= afterSeq || segment.records === 0) continue;
        const full = await this.readSegment(segment, seekOffset(segment, afterSeq + 1), (record) => {
          if (record.seq <= afterSeq || record.seq > limitSeq) return true;
          out.push(record);
          bytes += record.bytes;
          return out.length < maxRecords && bytes < maxBytes;
        });
        if (!full) break;
      }
      return out;
    });
  }

  /** Visits the durable records of `segment` from `offset`; `visit` returns false to stop. Returns false if stopped. */
  private async readSegment(segment: Segment, offset: number, visit: (record: BufferRecord<T>) => boolean): Promise<boolean> {
    const end = segment.durableBytes;
    const file = await this.fs.open(segment.path, 'read');
    try {
      let position = offset;
      let readSize = READ_CHUNK_BYTES;
      while (position < end) {
        const chunk = await file.read(position, Math.min(end - position, readSize));
        let cursor = 0;
        while (cursor < chunk.length) {
          const decoded = decodeRecordAt(chunk, cursor, this.maxPayloadBytes);
          if (decoded.kind === 'incomplete') break;
          if (decoded.kind !== 'record') throw this.corruptOnRead(segment, position + cursor, decoded.kind);
          const record: BufferRecord<T> = { seq: decoded.seq, payload: this.parsePayload(segment, position + cursor, decoded.payload), bytes: decoded.end - cursor };
          cursor = decoded.end;
          if (!visit(record)) return false;
        }
        if (cursor === 0) {
          const decoded = decodeRecordAt(chunk, 0, this.maxPayloadBytes);
          const needed = decoded.kind === 'incomplete' ? decoded.needed : 0;
          if (position + needed > end || needed <= readSize) throw this.corruptOnRead(segment, position, 'record overruns the durable end');
          readSize = needed;
          continue;
        }
        position += cursor;
        readSize = READ_CHUNK_BYTES;
      }
      return true;
    } finally {
      await file.close();
    }
  }

  private parsePayload(segment: Segment, offset: number, payload: Buffer): T {
    try {
      return JSON.parse(payload.toString('utf8')) as T;
    } catch {
      throw this.corruptOnRead(segment, offset, 'payload is not JSON');
    }
  }

  private corruptOnRead(segment: Segment, offset: number, reason: string): RetailSyncError {
    this.logger.error({ segment: segment.path, offset, reason }, 'buffer record is damaged on read; restart the store to quarantine it');
    return storeErrors.create('RS_ERR_BUFFER_CORRUPT', `damaged record in ${segment.path} at offset ${offset}: ${reason}`, { details: { segment: segment.path, offset } });
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

  private async deleteAckedSegments(): Promise<void> {
    await this.segmentLock.run(async () => {
      let deleted = 0;
      try {
        while (this.segments.length > 1 && this.segments[0]!.lastSeq <= this.ackedSeq) {
          const segment = this.segments[0]!;
          if (this.options.beforeSegmentDelete) {
            const records: BufferRecord<T>[] = [];
            await this.readSegment(segment, 0, (record) => records.push(record) > 0);
            await this.options.beforeSegmentDelete(records);
          }
          await this.fs.unlink(segment.path);
          this.segments.shift();
          this.bytesOnDisk -= segment.writtenBytes;
          deleted += 1;
        }
        if (deleted > 0) await this.fs.fsyncDir(this.dir);
      } catch (error) {
        // Not data loss: the segment stays and deletion is retried on the next ack or open.
        this.logger.warn({ err: error }, 'could not delete a fully acked segment; will retry');
      }
    });
  }

  // ── stats and lifecycle ───────────────────────────────────────────────────────────────────────

  stats(): BufferStats {
    return {
      lastSeq: this.durableSeq,
      ackedSeq: this.ackedSeq,
      records: Math.max(0, this.durableSeq - this.ackedSeq),
      bytes: this.bytesOnDisk,
      oldestUnackedAt: this.oldestUnackedAt(),
      quarantined: this.quarantined,
      state: this.state === 'closing' ? 'open' : this.state,
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
    await this.segmentLock.run(async () => undefined);
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
    this.quarantined = await this.countQuarantined();
    const segmentNames = names
      .map((name) => ({ name, match: SEGMENT_NAME.exec(name) }))
      .filter((entry): entry is { name: string; match: RegExpExecArray } => entry.match !== null)
      .map((entry) => ({ name: entry.name, firstSeq: Number(entry.match[1]) }))
      .sort((a, b) => a.firstSeq - b.firstSeq);

    let highestSeq = 0;
    let changedDirectory = false;
    for (const [position, { name, firstSeq }] of segmentNames.entries()) {
      const result = await this.recoverSegment(name, firstSeq, position === segmentNames.length - 1);
      highestSeq = Math.max(highestSeq, result.highestSeq);
      changedDirectory ||= result.changedDirectory;
      if (result.segment) this.segments.push(result.segment);
    }
    if (changedDirectory) await this.fs.fsyncDir(this.dir);

    const cursor = await readAckCursor(this.fs, this.dir);
    const oldestKept = this.segments[0]?.firstSeq;
    if (cursor.kind === 'present') {
      this.ackedSeq = cursor.ackedSeq;
    } else {
      if (cursor.kind === 'unreadable') {
        this.logger.error({ reason: cursor.reason }, 'ack cursor is unreadable; re-shipping every buffered record (central dedupes by event_id)');
      }
      // Segments are deleted only after a durable cursor covered them, so the oldest one left is unacked.
      this.ackedSeq = oldestKept === undefined ? highestSeq : oldestKept - 1;
    }
    this.durableSeq = Math.max(highestSeq, this.ackedSeq);
    this.nextSeq = this.durableSeq + 1;
    this.bytesOnDisk = this.segments.reduce((sum, segment) => sum + segment.writtenBytes, 0);
    await this.deleteAckedSegments();
    this.logger.info(
      { dir: this.dir, segments: this.segments.length, lastSeq: this.durableSeq, ackedSeq: this.ackedSeq, bytes: this.bytesOnDisk, quarantined: this.quarantined },
      'buffer opened',
    );
  }

  private async recoverSegment(
    name: string,
    firstSeq: number,
    isNewest: boolean,
  ): Promise<{ segment: Segment | undefined; highestSeq: number; changedDirectory: boolean }> {
    const path = join(this.dir, name);
    const bytes = (await readWholeFile(this.fs, path)) ?? Buffer.alloc(0);
    const scan = scanSegment(bytes, firstSeq, this.maxPayloadBytes);
    for (const gap of scan.gaps) {
      this.logger.error({ segment: name, firstMissingSeq: gap.first, lastMissingSeq: gap.last }, 'seqs are missing from a segment with no damaged bytes to explain them');
    }
    if (scan.quarantined.length > 0) await this.quarantine(name, bytes, scan.quarantined);
    const tornBytes = bytes.length - scan.tornTailAt;
    if (tornBytes > 0) {
      const fields = { segment: name, offset: scan.tornTailAt, bytes: tornBytes };
      // Only the newest segment can hold a write whose fsync never finished; older ones were synced before rotation.
      if (isNewest) this.logger.warn(fields, 'cut a torn tail (a write that was never acknowledged)');
      else this.logger.error(fields, 'cut a truncated record from a sealed segment');
    }

    if (scan.records.length === 0) {
      await this.fs.unlink(path);
      return { segment: undefined, highestSeq: scan.highestSeq, changedDirectory: true };
    }
    let changedDirectory = false;
    let kept: ScannedRecord[] = scan.records;
    if (scan.quarantined.length > 0) {
      kept = await this.rewriteSegment(path, scan.records);
      changedDirectory = true;
    } else {
      const file = await this.fs.open(path, 'readwrite');
      try {
        if (tornBytes > 0) await file.truncate(scan.tornTailAt);
        await file.datasync();
      } finally {
        await file.close();
      }
    }
    const size = kept.reduce((sum, record) => sum + record.length, 0);
    const segment: Segment = {
      firstSeq,
      path,
      lastSeq: kept.at(-1)!.seq,
      records: kept.length,
      durableBytes: size,
      writtenBytes: size,
      index: [],
    };
    for (const record of kept) {
      const lastIndexed = segment.index.at(-1);
      if (!lastIndexed || record.offset - lastIndexed.offset >= INDEX_STRIDE_BYTES) {
        segment.index.push({ seq: record.seq, offset: record.offset, at: appendedAtOf(record.payload) });
      }
    }
    return { segment, highestSeq: scan.highestSeq, changedDirectory };
  }

  /** Writes only the good records to a temp file and renames it over the segment; returns them with new offsets. */
  private async rewriteSegment(path: string, records: ScannedRecord[]): Promise<ScannedRecord[]> {
    const temp = `${path}.tmp`;
    const file = await this.fs.open(temp, 'replace');
    const rewritten: ScannedRecord[] = [];
    let offset = 0;
    try {
      for (const record of records) {
        await file.append(encodeRecord(record.seq, record.payload));
        rewritten.push({ ...record, offset });
        offset += record.length;
      }
      await file.datasync();
    } finally {
      await file.close();
    }
    await this.fs.rename(temp, path);
    await this.fs.fsyncDir(this.dir);
    return rewritten;
  }

  private async quarantine(segmentName: string, bytes: Buffer, ranges: QuarantinedRange[]): Promise<void> {
    const lines = ranges.map((range) =>
      JSON.stringify({
        quarantined_at: new Date().toISOString(),
        segment: segmentName,
        offset: range.offset,
        length: range.length,
        presumed_seqs: range.presumedSeqs ?? null,
        reason: range.reason,
        data_base64: bytes.subarray(range.offset, range.offset + range.length).toString('base64'),
      }),
    );
    const file = await this.fs.open(join(this.dir, QUARANTINE_FILE), 'append');
    try {
      await file.append(Buffer.from(`${lines.join('\n')}\n`, 'utf8'));
      await file.datasync();
    } finally {
      await file.close();
    }
    await this.fs.fsyncDir(this.dir);
    for (const range of ranges) {
      this.quarantined += 1;
      this.logger.error(
        { segment: segmentName, offset: range.offset, length: range.length, presumedSeqs: range.presumedSeqs, reason: range.reason, quarantined: this.quarantined },
        'damaged buffer record moved to quarantine.log',
      );
    }
  }

  private async countQuarantined(): Promise<number> {
    const bytes = await readWholeFile(this.fs, join(this.dir, QUARANTINE_FILE));
    if (!bytes) return 0;
    return bytes.toString('utf8').split('\n').filter((line) => line.trim().length > 0).length;
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

function seekOffset(segment: Segment, seq: number): number {
  return segment.index[indexPosition(segment, seq)]?.offset ?? 0;
}

/** Append time of a recovered record: its envelope's received_at, else now (an odd payload must not block open). */
function appendedAtOf(payload: Buffer): number {
  try {
    const receivedAt = (JSON.parse(payload.toString('utf8')) as { received_at?: unknown }).received_at;
    const at = typeof receivedAt === 'string' ? Date.parse(receivedAt) : Number.NaN;
    return Number.isNaN(at) ? Date.now() : at;
  } catch {
    return Date.now();
  }
}
