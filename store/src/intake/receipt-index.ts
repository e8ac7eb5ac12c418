/**
 * POS idempotency index: (terminal_id, receipt_no, type) → the event_id and seq the receipt got, so a
 * terminal that retries a receipt gets the original ids back and nothing is appended twice.
 *
 * # Where a key lives (and why that is crash-consistent)
 * 1. In the buffer record itself. The key is part of the SaleEvent the buffer appends, so it is durable
 *    exactly when the append is (same bytes, same fsync); a 202 is only sent after that fsync.
 * 2. In `receipts.log`, once its segment is about to be deleted: the buffer calls `persist` with every
 *    record of a fully acked segment BEFORE unlinking it, and `persist` resolves only after an
 *    fdatasync. A crash between the two leaves the key in both places; the Map dedupes.
 * On open the index is receipts.log ∪ every record still in the buffer (acked or not), so after kill -9
 * there is no state in which a durable sale is unknown here: a retry can never append it again.
 * 3. In memory only, while the append is in flight: `reserve` registers the key synchronously when the
 *    seq is assigned, with the append's durability promise. A concurrent retry waits on that promise;
 *    if the append fails, the reservation is dropped and both requests get the error (nothing stored).
 * A torn last line of receipts.log is ignored: its segment was not deleted (the fsync had not
 * returned), so the key is still in the buffer.
 *
 * # Retention
 * Keys of sales that left the buffer are kept for `retentionMs` after the sale was received
 * (RS_IDEMPOTENCY_RETENTION_HOURS, default 7 days); a POS retry older than that is appended again.
 * Keys of sales still in the buffer never expire. receipts.log is compacted (atomic rewrite) at open and
 * when expired lines outnumber live ones.
 */
import { join } from 'node:path';
import type { SaleEvent } from '@retail-sync/libs/domain';
import type { Logger } from '@retail-sync/libs/log';
import type { BufferFileSystem, DiskBuffer } from '../buffer/index.ts';
import { readWholeFile, writeFileAtomically } from '../buffer/file-system.ts';

export const RECEIPTS_FILE = 'receipts.log';

export interface ReceiptEntry {
  event_id: string;
  seq: number;
  /** Epoch ms the store received the sale. */
  at: number;
}

interface IndexedReceipt extends ReceiptEntry {
  /** Settles when the append that holds this key is durable (rejects if it failed). */
  durable: Promise<void>;
  /** True once the key is in receipts.log (its segment may be gone): only these expire. */
  persisted: boolean;
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
  now?: () => number;
}

const COMPACT_MIN_LINES = 10_000;

export class ReceiptIndex {
  private readonly entries = new Map<string, IndexedReceipt>();
  private fileLines = 0;
  private readonly path: string;
  private readonly now: () => number;

  private constructor(
    private readonly dir: string,
    private readonly options: ReceiptIndexOptions,
  ) {
    this.path = join(dir, RECEIPTS_FILE);
    this.now = options.now ?? Date.now;
  }

  /** Loads receipts.log; call `rememberBuffered` once the buffer is open to add the keys still in it. */
  static async open(dir: string, options: ReceiptIndexOptions): Promise<ReceiptIndex> {
    await options.fs.mkdir(dir);
    const index = new ReceiptIndex(dir, options);
    await index.load();
    return index;
  }

  get size(): number {
    return this.entries.size;
  }

  lookup(key: string): (ReceiptEntry & { durable: Promise<void> }) | undefined {
    return this.entries.get(key);
  }

  /** Registers a key whose append is in flight; dropped again if `durable` rejects. */
  reserve(key: string, entry: ReceiptEntry, durable: Promise<unknown>): void {
    const settled = durable.then(() => undefined);
    this.entries.set(key, { ...entry, durable: settled, persisted: false });
    settled.catch(() => {
      if (this.entries.get(key)?.event_id === entry.event_id) this.entries.delete(key);
    });
  }

  /** Adds the keys of every record still in the buffer (acked or not). */
  async rememberBuffered(buffer: DiskBuffer<SaleEvent>): Promise<void> {
    let afterSeq = 0;
    for (;;) {
      const records = await buffer.readFrom(afterSeq, 5_000, 8 * 1024 * 1024);
      if (records.length === 0) return;
      for (const record of records) {
        const event = record.payload;
        const key = receiptKey(event.sale);
        if (!this.entries.has(key)) {
          this.entries.set(key, { event_id: event.event_id, seq: event.seq, at: Date.parse(event.received_at), durable: Promise.resolve(), persisted: false });
        }
      }
      afterSeq = records.at(-1)!.seq;
    }
  }

  /** The buffer's beforeSegmentDelete hook: durably records the keys of events about to leave the buffer. */
  async persist(events: SaleEvent[]): Promise<void> {
    if (events.length === 0) return;
    const lines = events.map((event) => this.lineFor(event));
    const file = await this.options.fs.open(this.path, 'append');
    try {
      await file.append(Buffer.from(lines.map((line) => `${JSON.stringify(line)}\n`).join(''), 'utf8'));
      await file.datasync();
    } finally {
      await file.close();
    }
    await this.options.fs.fsyncDir(this.dir);
    this.fileLines += lines.length;
    for (const line of lines) {
      const entry = this.entries.get(line.k);
      if (entry && entry.event_id === line.e) entry.persisted = true;
      else if (!entry) this.entries.set(line.k, { event_id: line.e, seq: line.s, at: line.a, durable: Promise.resolve(), persisted: true });
    }
    const live = this.pruneExpired();
    if (this.fileLines > COMPACT_MIN_LINES && this.fileLines > 2 * live) await this.compact();
  }

  private lineFor(event: SaleEvent): ReceiptLine {
    return { k: receiptKey(event.sale), e: event.event_id, s: event.seq, a: Date.parse(event.received_at) };
  }

  private async load(): Promise<void> {
    const bytes = await readWholeFile(this.options.fs, this.path);
    if (!bytes) return;
    const text = bytes.toString('utf8');
    const rawLines = text.split('\n');
    const cutoff = this.now() - this.options.retentionMs;
    let expired = 0;
    rawLines.forEach((raw, position) => {
      if (raw.trim() === '') return;
      let line: ReceiptLine;
      try {
        line = JSON.parse(raw) as ReceiptLine;
      } catch {
        const isLast = position >= rawLines.length - 2;
        // A torn last line is expected after a crash mid-persist; anywhere else it is damage.
        if (isLast) this.options.logger.warn({ file: this.path }, 'ignored a torn last line of receipts.log');
        else this.options.logger.error({ file: this.path, line: position + 1 }, 'ignored a damaged line of receipts.log');
        return;
      }
      this.fileLines += 1;
      if (line.a < cutoff) {
        expired += 1;
        return;
      }
      this.entries.set(line.k, { event_id: line.e, seq: line.s, at: line.a, durable: Promise.resolve(), persisted: true });
    });
    if (expired > 0 && expired >= this.entries.size) await this.compact();
  }

  /** Drops persisted keys past retention; returns how many persisted keys remain. */
  private pruneExpired(): number {
    const cutoff = this.now() - this.options.retentionMs;
    let live = 0;
    for (const [key, entry] of this.entries) {
      if (!entry.persisted) continue;
      if (entry.at < cutoff) this.entries.delete(key);
      else live += 1;
    }
    return live;
  }

  private async compact(): Promise<void> {
    const lines: string[] = [];
    for (const [key, entry] of this.entries) {
      if (entry.persisted) lines.push(`${JSON.stringify({ k: key, e: entry.event_id, s: entry.seq, a: entry.at } satisfies ReceiptLine)}\n`);
    }
    await writeFileAtomically(this.options.fs, this.dir, this.path, Buffer.from(lines.join(''), 'utf8'));
    this.options.logger.info({ file: this.path, lines: lines.length, droppedLines: this.fileLines - lines.length }, 'compacted receipts.log');
    this.fileLines = lines.length;
  }
}
