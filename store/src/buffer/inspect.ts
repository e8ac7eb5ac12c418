/**
 * Read-only inspection of a buffer directory for operators (`retail-sync buffer inspect`): segments,
 * record counts, cursor, quarantined ranges and the first corrupt offset. It only lists and reads
 * files (never opens one for writing, takes no lock, repairs nothing), so it is safe next to a
 * running store; the newest segment may then end in a write still in progress, which is reported as
 * a torn tail, not as corruption.
 */
import { join } from 'node:path';
import { readAckCursor, type CursorRead } from './ack-cursor.ts';
import { nodeFileSystem, readWholeFile, type BufferFileSystem } from './file-system.ts';
import { lostCount, parseQuarantine, QUARANTINE_FILE, type QuarantineEntry } from './quarantine.ts';
import { RECORD_HEADER_BYTES } from './record-format.ts';
import { scanSegment, type DamagedRange } from './segment-scan.ts';

export interface SegmentInspection {
  name: string;
  formatVersion: number;
  bytes: number;
  records: number;
  firstSeq: number | null;
  lastSeq: number | null;
  damaged: DamagedRange[];
  /** Bytes past the last good record of the newest segment (a write in progress or cut by a crash). */
  tornTail: { offset: number; bytes: number } | null;
}

export interface BufferInspection {
  dir: string;
  cursor: CursorRead;
  segments: SegmentInspection[];
  records: number;
  quarantine: { ranges: number; lostRecords: number; tornLines: number; entries: Omit<QuarantineEntry, 'data_base64'>[] };
  /** The first damaged byte range found in the segments, or null. */
  firstCorrupt: { segment: string; offset: number; reason: string } | null;
  /** True when damage was found in a segment or quarantine.log has entries. */
  corrupt: boolean;
}

const SEGMENT_NAME = /^segment-(\d{20})\.log$/;

/** True when `dir` looks like one store's buffer directory. */
export async function isBufferDir(dir: string, fs: BufferFileSystem = nodeFileSystem): Promise<boolean> {
  const names = await fs.readdir(dir);
  return names.some((name) => SEGMENT_NAME.test(name) || name === 'cursor.json' || name === QUARANTINE_FILE);
}

export async function inspectBuffer(dir: string, fs: BufferFileSystem = nodeFileSystem): Promise<BufferInspection> {
  const names = await fs.readdir(dir);
  const segmentNames = names
    .map((name) => ({ name, match: SEGMENT_NAME.exec(name) }))
    .filter((entry): entry is { name: string; match: RegExpExecArray } => entry.match !== null)
    .map((entry) => ({ name: entry.name, firstSeq: Number(entry.match[1]) }))
    .sort((a, b) => a.firstSeq - b.firstSeq);

  const segments: SegmentInspection[] = [];
  for (const [position, { name, firstSeq }] of segmentNames.entries()) {
    // Only one segment is in memory at a time; a segment deleted meanwhile by a running store is skipped.
    const bytes = await readWholeFile(fs, join(dir, name));
    if (!bytes) continue;
    const nextFirstSeq = segmentNames[position + 1]?.firstSeq;
    const scan = scanSegment({ bytes, firstSeq, maxPayloadBytes: Math.max(1, bytes.length - RECORD_HEADER_BYTES), isNewest: nextFirstSeq === undefined, nextFirstSeq });
    segments.push({
      name,
      formatVersion: scan.version,
      bytes: bytes.length,
      records: scan.records.length,
      firstSeq: scan.records[0]?.seq ?? null,
      lastSeq: scan.records.at(-1)?.seq ?? null,
      damaged: scan.damaged,
      tornTail: scan.tornTailAt < bytes.length ? { offset: scan.tornTailAt, bytes: bytes.length - scan.tornTailAt } : null,
    });
  }

  const parsed = parseQuarantine(await readWholeFile(fs, join(dir, QUARANTINE_FILE)));
  const entries = parsed.entries.map(({ data_base64: _data, ...entry }) => entry);
  const firstDamaged = segments.flatMap((segment) => segment.damaged.map((range) => ({ segment: segment.name, offset: range.offset, reason: range.reason })))[0] ?? null;
  return {
    dir,
    cursor: await readAckCursor(fs, dir),
    segments,
    records: segments.reduce((sum, segment) => sum + segment.records, 0),
    quarantine: { ranges: entries.length, lostRecords: entries.reduce((sum, entry) => sum + lostCount(entry), 0), tornLines: parsed.tornLines, entries },
    firstCorrupt: firstDamaged,
    corrupt: firstDamaged !== null || entries.length > 0,
  };
}

/** The inspection as the lines the CLI prints. */
export function formatInspection(inspection: BufferInspection): string[] {
  const lines = [`buffer ${inspection.dir}`];
  const { cursor } = inspection;
  lines.push(`cursor: ${cursor.kind === 'present' ? `acked_seq ${cursor.ackedSeq}` : cursor.kind === 'missing' ? 'none (nothing acked yet)' : `UNREADABLE (${cursor.reason})`}`);
  lines.push(`segments: ${inspection.segments.length}, records: ${inspection.records}`);
  for (const segment of inspection.segments) {
    const range = segment.firstSeq === null ? 'no records' : `seqs ${segment.firstSeq}..${segment.lastSeq}`;
    lines.push(`  ${segment.name}  v${segment.formatVersion}  ${segment.bytes} B  ${segment.records} records  ${range}`);
    for (const damage of segment.damaged) {
      const lost = damage.lostSeqs ? `lost seqs ${damage.lostSeqs.first}..${damage.lostSeqs.last}` : 'no seqs lost';
      lines.push(`    DAMAGED at offset ${damage.offset} (${damage.length} B): ${damage.reason}; ${lost}`);
    }
    if (segment.tornTail) lines.push(`    torn tail at offset ${segment.tornTail.offset} (${segment.tornTail.bytes} B): a write in progress or cut by a crash, not corruption`);
  }
  const { quarantine } = inspection;
  lines.push(`quarantined: ${quarantine.ranges} ranges, ${quarantine.lostRecords} records lost (${QUARANTINE_FILE})${quarantine.tornLines > 0 ? `, ${quarantine.tornLines} torn lines` : ''}`);
  for (const entry of quarantine.entries) {
    const lost = entry.lost_seqs ? `seqs ${entry.lost_seqs.first}..${entry.lost_seqs.last}` : 'no seqs';
    lines.push(`  ${entry.segment} @ ${entry.offset} (${entry.length} B) ${lost}: ${entry.reason} [${entry.quarantined_at}]`);
  }
  const first = inspection.firstCorrupt;
  lines.push(`first corrupt offset: ${first ? `${first.segment} @ ${first.offset} (${first.reason})` : 'none'}`);
  return lines;
}
