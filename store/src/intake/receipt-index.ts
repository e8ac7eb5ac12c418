/**
 * POS idempotency index: (terminal_id, receipt_no, type) → the event_id and seq the receipt got, so a
 * terminal that retries a receipt gets the original ids back and nothing is appended twice.
 *
 * # Where a key lives (and why that is crash-consistent)
 * 1. In the buffer record itself. The key is part of the SaleEvent the buffer appends, so it is durable
 *    exactly when the append is (same bytes, same fsync); a 202 is only sent after that fsync. The
 *    buffer hands every record it finds at open to `remember` (its `onRecoveredRecord` hook), so the
 *    store reads its buffer once at start, not twice.
 * 2. In `receipts.log`, once its segment is about to be deleted: the buffer calls `persistSegment` for
 *    a fully acked segment BEFORE unlinking it, and it resolves only after an fdatasync. The lines come
 *    from memory when every seq of the segment is a live key (no record parsed), else from the
 *    segment's records; the same lines either way. A crash between the two leaves the key in both
 *    places; the index dedupes.
 * 3. In memory only, while the append is in flight: `reserve` registers the key synchronously when the
 *    seq is assigned, with the append's durability promise. A concurrent retry waits on that promise;
 *    if the append fails, the reservation is dropped and both requests get the error (nothing stored).
 * A torn last line of receipts.log is ignored: its segment was not deleted (the fsync had not
 * returned), so the key is still in the buffer.
 *
 * # Retention and the memory bound
 * A key is recognised for `retentionMs` after its sale was received (RS_IDEMPOTENCY_RETENTION_HOURS,
 * default 7 days) AND while it is among the newest `maxKeys` receipts (default 100,000 — about 20 days
 * of a busy 5,000-receipt-a-day shop), whichever ends first, whether or not the sale is still in the
 * buffer: memory is bounded by `maxKeys`, never by how much is buffered. A key is its string plus one
 * slot of typed arrays (receipt-ring.ts), no object per key: measured ≈ 130 bytes per key with
 * 45-character keys, ≈ 13 MB at the default cap (a Map of entry objects took ≈ 290), plus the
 * keys of appends in flight (bounded by intake's requests in flight). A POS retry
 * past the window is appended again (a new event_id; reconciliation reports the receipt twice).
 * receipts.log holds at most about 2 × maxKeys lines: it is compacted (atomic rewrite) when expired or
 * evicted lines outnumber live ones, and read line by line at open.
 */
import { join } from 'node:path';
import type { SaleEvent } from '@retail-sync/libs/domain';
import type { Logger } from '@retail-sync/libs/log';
import type { AckedSegment, BufferFileSystem } from '../buffer/index.ts';
import { writeFileAtomically } from '../buffer/file-system.ts';
import { ReceiptLineWriter } from './receipt-line.ts';
import { ReceiptRing } from './receipt-ring.ts';

export const RECEIPTS_FILE = 'receipts.log';

export interface ReceiptEntry {
  event_id: string;
  seq: number;
  /** Epoch ms the store received the sale. */
  at: number;
}

interface InFlightReceipt extends ReceiptEntry {
  /** Settles when the append that holds this key is durable (rejects if it failed). */
  durable: Promise<void>;
}

interface ReceiptLine {
  k: string;
  e: string;
  s: number;
  a: number;
}

type ReceiptKeyFields = Pick<SaleEvent['sale'], 'terminal_id' | 'receipt_no' | 'type'>;

export function receiptKey(sale: ReceiptKeyFields): string {
  return JSON.stringify([sale.terminal_id, sale.receipt_no, sale.type]);
}

export interface ReceiptIndexOptions {
  fs: BufferFileSystem;
  retentionMs: number;
  logger: Logger;
  /** Newest receipts kept; older ones are forgotten first. @default 100000 */
  maxKeys?: number;
  now?: () => number;
}

const COMPACT_MIN_LINES = 10_000;
const READ_CHUNK_BYTES = 256 * 1024;
const DURABLE: Promise<void> = Promise.resolve();

export class ReceiptIndex {
  /** Durable keys, oldest first. */
  private readonly entries: ReceiptRing;
  private readonly inFlight = new Map<string, InFlightReceipt>();
  private fileLines = 0;
  private readonly path: string;
  private readonly now: () => number;
  private readonly maxKeys: number;

  private constructor(
    private readonly dir: string,
    private readonly options: ReceiptIndexOptions,
  ) {
    this.path = join(dir, RECEIPTS_FILE);
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? 100_000;
    this.entries = new ReceiptRing(this.maxKeys);
  }

  /** Loads receipts.log; the buffer then adds the keys still in it through `remember`. */
  static async open(dir: string, options: ReceiptIndexOptions): Promise<ReceiptIndex> {
    await options.fs.mkdir(dir);
    const index = new ReceiptIndex(dir, options);
    await index.load();
    return index;
  }

  get size(): number {
    return this.entries.size + this.inFlight.size;
  }

  lookup(key: string): (ReceiptEntry & { durable: Promise<void> }) | undefined {
    const inFlight = this.inFlight.get(key);
    if (inFlight) return inFlight;
    const entry = this.entries.get(key);
    return entry && { ...entry, durable: DURABLE };
  }

  /** Registers a key whose append is in flight; kept once `durable` resolves, dropped if it rejects. */
  reserve(key: string, entry: ReceiptEntry, durable: Promise<unknown>): void {
    this.reserveAll([{ key, entry }], durable);
  }

  /** `reserve` for the keys of one append: one settlement for all of them, not one per key. */
  reserveAll(reservations: ReadonlyArray<{ key: string; entry: ReceiptEntry }>, durable: Promise<unknown>): void {
    const settled = durable.then(() => undefined);
    const held: InFlightReceipt[] = reservations.map(({ key, entry }) => {
      const receipt = { event_id: entry.event_id, seq: entry.seq, at: entry.at, durable: settled };
      this.inFlight.set(key, receipt);
      return receipt;
    });
    settled.then(
      () => {
        reservations.forEach(({ key, entry }, i) => {
          if (this.inFlight.get(key) !== held[i]) return;
          this.inFlight.delete(key);
          this.add(key, entry);
        });
      },
      () => {
        reservations.forEach(({ key }, i) => {
          if (this.inFlight.get(key) === held[i]) this.inFlight.delete(key);
        });
      },
    );
  }

  /** A durable sale found in the buffer at open (the buffer's onRecoveredRecord hook). */
  remember(event: SaleEvent): void {
    const at = Date.parse(event.received_at);
    if (at < this.now() - this.options.retentionMs) return;
    this.add(receiptKey(event.sale), { event_id: event.event_id, seq: event.seq, at });
  }

  /**
   * The buffer's beforeSegmentDelete hook: durably records the keys of the segment's events. When every
   * seq of the segment is a live key here (the usual case: intake reserved them), the lines are written
   * from memory; else (keys evicted or expired, damage, records not appended by intake) from the
   * records read back. Both give the same lines: a key's entry here is what its record holds.
   */
  async persistSegment(segment: AckedSegment<SaleEvent>): Promise<void> {
    if (segment.complete) {
      const cutoff = this.now() - this.options.retentionMs;
      const writer = new ReceiptLineWriter(segment.lastSeq - segment.firstSeq + 1);
      const known = this.entries.visitSeqs(segment.firstSeq, segment.lastSeq, (key, ids, idAt, oddId, seq, at) => {
        if (at >= cutoff) writer.add(key, ids, idAt, oddId, seq, at);
      });
      // Every key written is live here already: nothing to add, as `persist` would find too.
      if (known) return this.appendLines(writer.text(), writer.lines);
    }
    await this.persist((await segment.records()).map((record) => record.payload));
  }

  /** Durably records the keys of events about to leave the buffer. */
  async persist(events: SaleEvent[]): Promise<void> {
    const cutoff = this.now() - this.options.retentionMs;
    const lines = events.map((event) => this.lineFor(event)).filter((line) => line.a >= cutoff);
    await this.appendLines(Buffer.from(lines.map(lineText).join(''), 'utf8'), lines.length, () => {
      for (const line of lines) if (!this.entries.has(line.k)) this.add(line.k, { event_id: line.e, seq: line.s, at: line.a });
    });
  }

  /**
   * Appends lines to receipts.log and makes them durable, then `remember`s their keys, drops expired
   * keys and compacts when due (in that order: a compaction rewrites the file from memory, so every
   * key written must be in memory before it).
   */
  private async appendLines(text: Buffer, lines: number, remember?: () => void): Promise<void> {
    if (lines === 0) return;
    const file = await this.options.fs.open(this.path, 'append');
    try {
      await file.append(text);
      await file.datasync();
    } finally {
      await file.close();
    }
    await this.options.fs.fsyncDir(this.dir);
    this.fileLines += lines;
    remember?.();
    this.pruneExpired();
    if (this.fileLines > COMPACT_MIN_LINES && this.fileLines > 2 * this.entries.size) await this.compact();
  }

  private add(key: string, entry: ReceiptEntry): void {
    this.entries.add(key, entry); // re-inserted as the newest; the oldest goes past maxKeys
  }

  private lineFor(event: SaleEvent): ReceiptLine {
    return { k: receiptKey(event.sale), e: event.event_id, s: event.seq, a: Date.parse(event.received_at) };
  }

  /** Reads receipts.log line by line, so memory never holds the whole file. */
  private async load(): Promise<void> {
    let file;
    try {
      file = await this.options.fs.open(this.path, 'read');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const cutoff = this.now() - this.options.retentionMs;
    let kept = 0;
    let damaged = 0;
    let lineNo = 0;
    const take = (raw: string, isLast: boolean) => {
      lineNo += 1;
      if (raw.trim() === '') return;
      let line: ReceiptLine;
      try {
        line = JSON.parse(raw) as ReceiptLine;
      } catch {
        // A torn last line is expected after a crash mid-persist; anywhere else it is damage.
        if (isLast) this.options.logger.warn({ file: this.path }, 'ignored a torn last line of receipts.log');
        else this.options.logger.error({ file: this.path, line: lineNo }, 'ignored a damaged line of receipts.log');
        damaged += 1;
        return;
      }
      this.fileLines += 1;
      if (line.a < cutoff) return;
      this.add(line.k, { event_id: line.e, seq: line.s, at: line.a });
      kept += 1;
    };
    try {
      let carry = '';
      for (let position = 0; ; ) {
        const chunk = await file.read(position, READ_CHUNK_BYTES);
        if (chunk.length === 0) break;
        position += chunk.length;
        const lines = (carry + chunk.toString('utf8')).split('\n');
        carry = lines.pop()!;
        for (const raw of lines) take(raw, false);
      }
      take(carry, true);
    } finally {
      await file.close();
    }
    if (this.fileLines > 2 * this.entries.size + damaged && this.fileLines > kept) await this.compact();
  }

  /** Drops keys past retention from the oldest end. */
  private pruneExpired(): void {
    const cutoff = this.now() - this.options.retentionMs;
    this.entries.forgetBefore(cutoff);
  }

  private async compact(): Promise<void> {
    const lines: string[] = [];
    for (const [key, entry] of this.entries.entries()) lines.push(lineText({ k: key, e: entry.event_id, s: entry.seq, a: entry.at }));
    await writeFileAtomically(this.options.fs, this.dir, this.path, Buffer.from(lines.join(''), 'utf8'));
    this.options.logger.info({ file: this.path, lines: lines.length, droppedLines: this.fileLines - lines.length }, 'compacted receipts.log');
    this.fileLines = lines.length;
  }
}

/** One line of receipts.log: the text JSON.stringify(line) gives, field by field. */
function lineText(line: ReceiptLine): string {
  return `{"k":${JSON.stringify(line.k)},"e":${JSON.stringify(line.e)},"s":${JSON.stringify(line.s)},"a":${JSON.stringify(line.a)}}\n`;
}
