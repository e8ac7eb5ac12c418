/**
 * quarantine.log: one JSON line per damaged range the buffer found (at open or while reading), with
 * its raw bytes, so an operator can see and salvage what was lost. Damaged bytes stay where they are
 * in their segment (segments are never rewritten) and an entry is keyed by segment + offset, so a
 * range found again after a crash (or by the reader after the open scan) is never entered twice.
 * A torn last line (crash mid-append) is ignored; its range is found and entered again.
 */
import { join } from 'node:path';
import type { Logger } from '@retail-sync/libs/log';
import { readWholeFile, type BufferFileSystem } from './file-system.ts';
import type { DamagedRange } from './segment-scan.ts';

export const QUARANTINE_FILE = 'quarantine.log';

export interface QuarantineEntry {
  quarantined_at: string;
  segment: string;
  offset: number;
  length: number;
  lost_seqs: { first: number; last: number } | null;
  reason: string;
  data_base64: string;
}

export interface ParsedQuarantine {
  entries: QuarantineEntry[];
  /** Lines that did not parse (a torn last line after a crash). */
  tornLines: number;
  endsWithNewline: boolean;
}

export function parseQuarantine(bytes: Buffer | undefined): ParsedQuarantine {
  if (!bytes || bytes.length === 0) return { entries: [], tornLines: 0, endsWithNewline: true };
  const entries: QuarantineEntry[] = [];
  let tornLines = 0;
  for (const line of bytes.toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      entries.push(JSON.parse(line) as QuarantineEntry);
    } catch {
      tornLines += 1;
    }
  }
  return { entries, tornLines, endsWithNewline: bytes[bytes.length - 1] === 0x0a };
}

export function lostCount(range: { lost_seqs?: { first: number; last: number } | null; lostSeqs?: { first: number; last: number } | null }): number {
  const lost = range.lost_seqs ?? range.lostSeqs;
  return lost ? lost.last - lost.first + 1 : 0;
}

export class QuarantineLog {
  private readonly keys = new Set<string>();
  private endsWithNewline = true;
  private exists = false;
  /** Damaged ranges entered over the buffer's life. */
  ranges = 0;
  /** Seqs those ranges held. */
  lostRecords = 0;

  private constructor(
    private readonly fs: BufferFileSystem,
    private readonly dir: string,
  ) {}

  static async open(fs: BufferFileSystem, dir: string, logger: Logger): Promise<QuarantineLog> {
    const log = new QuarantineLog(fs, dir);
    const bytes = await readWholeFile(fs, join(dir, QUARANTINE_FILE));
    const parsed = parseQuarantine(bytes);
    if (parsed.tornLines > 0) logger.warn({ file: QUARANTINE_FILE, lines: parsed.tornLines }, 'ignored torn lines of quarantine.log (a crash while writing it)');
    log.exists = bytes !== undefined;
    log.endsWithNewline = parsed.endsWithNewline;
    for (const entry of parsed.entries) log.remember(entry.segment, entry.offset, lostCount(entry));
    return log;
  }

  has(segment: string, offset: number): boolean {
    return this.keys.has(keyOf(segment, offset));
  }

  /** Durably enters the ranges not entered before; resolves with those it entered. */
  async add(segment: string, ranges: DamagedRange[], bytesOf: (range: DamagedRange) => Buffer): Promise<DamagedRange[]> {
    const fresh = ranges.filter((range) => !this.has(segment, range.offset));
    if (fresh.length === 0) return [];
    const now = new Date().toISOString();
    const lines = fresh.map((range) =>
      JSON.stringify({
        quarantined_at: now,
        segment,
        offset: range.offset,
        length: range.length,
        lost_seqs: range.lostSeqs,
        reason: range.reason,
        data_base64: bytesOf(range).toString('base64'),
      } satisfies QuarantineEntry),
    );
    const text = `${this.endsWithNewline ? '' : '\n'}${lines.join('\n')}\n`;
    const file = await this.fs.open(join(this.dir, QUARANTINE_FILE), 'append');
    try {
      await file.append(Buffer.from(text, 'utf8'));
      await file.datasync();
    } finally {
      await file.close();
    }
    if (!this.exists) await this.fs.fsyncDir(this.dir);
    this.exists = true;
    this.endsWithNewline = true;
    for (const range of fresh) this.remember(segment, range.offset, lostCount(range));
    return fresh;
  }

  private remember(segment: string, offset: number, lost: number): void {
    const key = keyOf(segment, offset);
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.ranges += 1;
    this.lostRecords += lost;
  }
}

function keyOf(segment: string, offset: number): string {
  return `${segment}@${offset}`;
}
