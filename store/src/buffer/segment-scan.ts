/**
 * Recovery scan of one segment. Pure: bytes in, verdict out; the buffer (and `buffer inspect`) act on it.
 *
 * Every byte ends up in exactly one of: a good record, a damaged range (reported, quarantined, skipped
 * by readers, never cut), or the torn tail (cut). Lost seqs are counted from the good records around
 * a damaged range (seqs are consecutive in a segment), so one flipped bit costs exactly one record
 * however the damage misleads the parser; past the last good record of a sealed segment the next
 * segment's name says which seqs are missing.
 *
 * # Torn or damaged? (the power-loss model, proven by power-loss.torture.test.ts)
 * Only the newest segment can hold a write whose fdatasync never returned, and only one: the buffer
 * syncs each write before starting the next, and the last record of each write carries COMMIT. That
 * write may come back from a power cut with any of its sectors kept, zeroed or garbage. So damage in
 * the newest segment after which no COMMIT record appears (other than the very last good record, which
 * may be the torn write's own end) lies inside that last write: nothing in it was acknowledged, and
 * the segment is cut at the damage, dropping intact-looking records after the hole rather than
 * resurrecting bytes nobody was told were stored. Damage followed by a later write's COMMIT was
 * synced, so it is bit rot: quarantined. The one case bytes cannot settle, rot inside the newest
 * segment's last write after its fsync returned, is treated as torn (logged at warn with the count).
 * Version 1 segments have no COMMIT: there only damage with no good record after it is torn.
 */
import { decodeRecordAt, findNextRecord, hasValidSegmentHeader, RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, type DecodedRecord, type FormatVersion } from './record-format.ts';

export interface ScannedRecord {
  seq: number;
  offset: number;
  length: number;
  payload: Buffer;
  commit: boolean;
}

export interface DamagedRange {
  offset: number;
  length: number;
  /** Seqs the range held (first..last), or null when none are missing (e.g. a damaged segment header). */
  lostSeqs: { first: number; last: number } | null;
  reason: string;
}

export interface SegmentScan {
  version: FormatVersion;
  /** Offset of the first record (after the segment header). */
  dataStart: number;
  records: ScannedRecord[];
  damaged: DamagedRange[];
  /** Bytes from here on are a torn write, to be cut; the segment size when there is none. */
  tornTailAt: number;
  /** Intact-looking records dropped with the torn tail (they were never acknowledged). */
  tornRecords: number;
  /** Highest seq the segment accounts for (good or lost); firstSeq − 1 when none. */
  highestSeq: number;
}

export interface ScanInput {
  bytes: Buffer;
  firstSeq: number;
  maxPayloadBytes: number;
  /** The newest segment may end in a torn write; older ones were synced before the next was opened. */
  isNewest: boolean;
  /** First seq of the next segment: a sealed segment must account for every seq below it. */
  nextFirstSeq?: number;
}

const MIN_RECORD_BYTES = RECORD_HEADER_BYTES + 1;

export function scanSegment(input: ScanInput): SegmentScan {
  const { bytes, firstSeq, isNewest } = input;
  const maxSeq = input.nextFirstSeq !== undefined ? input.nextFirstSeq - 1 : firstSeq + Math.floor(bytes.length / MIN_RECORD_BYTES);
  const { version, headerOk } = detectVersion(input, maxSeq);
  const dataStart = version === 2 ? SEGMENT_HEADER_BYTES : 0;

  const records: ScannedRecord[] = [];
  const damaged: (DamagedRange & { gap: boolean })[] = [];
  let expected = firstSeq;
  let offset = Math.min(dataStart, bytes.length);
  let tailAt: number | undefined;
  while (offset < bytes.length) {
    const decoded = decodeRecordAt(bytes, offset, input.maxPayloadBytes, version);
    if (decoded.kind === 'record' && decoded.seq >= expected && decoded.seq <= maxSeq) {
      if (decoded.seq > expected) damaged.push({ offset, length: 0, lostSeqs: { first: expected, last: decoded.seq - 1 }, reason: 'seqs missing with no damaged bytes', gap: true });
      records.push({ seq: decoded.seq, offset, length: decoded.end - offset, payload: decoded.payload, commit: decoded.commit });
      expected = decoded.seq + 1;
      offset = decoded.end;
      continue;
    }
    const next = findNextRecord(bytes, offset + 1, expected, maxSeq, input.maxPayloadBytes, version);
    if (!next) {
      tailAt = offset;
      break;
    }
    damaged.push({ offset, length: next.offset - offset, lostSeqs: next.seq > expected ? { first: expected, last: next.seq - 1 } : null, reason: describe(decoded), gap: false });
    offset = next.offset;
    expected = next.seq;
  }
  if (bytes.length < dataStart) tailAt = 0;

  let tornTailAt = bytes.length;
  let tornRecords = 0;
  let kept = records;
  let keptDamage = damaged;
  if (isNewest) {
    const tornAt = version === 2 ? firstTornOffset(records, damaged, tailAt) : tailAt;
    if (tornAt !== undefined) {
      tornTailAt = tornAt;
      kept = records.filter((record) => record.offset < tornAt);
      tornRecords = records.length - kept.length;
      keptDamage = damaged.filter((range) => range.offset < tornAt);
    }
    if (!headerOk && version === 2 && kept.length === 0) tornTailAt = 0; // a rotation whose header never reached the disk
  } else if (tailAt !== undefined || expected <= maxSeq) {
    const at = tailAt ?? bytes.length;
    keptDamage.push({
      offset: at,
      length: bytes.length - at,
      lostSeqs: expected <= maxSeq ? { first: expected, last: maxSeq } : null,
      reason: tailAt === undefined ? 'sealed segment ends before its last record' : 'damaged bytes at the end of a sealed segment',
      gap: false,
    });
  }
  const lastKept = kept.at(-1)?.seq ?? firstSeq - 1;
  const lastExpected = isNewest ? firstSeq - 1 : maxSeq;
  const result: DamagedRange[] = keptDamage.map(({ gap: _gap, ...range }) => range);
  // A file shorter than its header is one damaged range already (the tail); else the header is its own.
  if (!headerOk && version === 2 && tornTailAt > 0 && bytes.length >= SEGMENT_HEADER_BYTES) result.unshift({ offset: 0, length: SEGMENT_HEADER_BYTES, lostSeqs: null, reason: 'damaged segment header' });
  const lostHigh = result.reduce((high, range) => Math.max(high, range.lostSeqs?.last ?? 0), 0);
  return { version, dataStart, records: kept, damaged: result, tornTailAt, tornRecords, highestSeq: Math.max(lastKept, lostHigh, lastExpected) };
}

/** The first damage offset after which no COMMIT record follows, except possibly the last good record. */
function firstTornOffset(records: ScannedRecord[], damaged: { offset: number; gap: boolean }[], tailAt: number | undefined): number | undefined {
  const candidates = [...damaged.filter((range) => !range.gap).map((range) => range.offset), ...(tailAt !== undefined ? [tailAt] : [])];
  for (const at of candidates) {
    const committedAfter = records.some((record, i) => record.offset > at && record.commit && i < records.length - 1);
    if (!committedAfter) return at;
  }
  return undefined;
}

function detectVersion(input: ScanInput, maxSeq: number): { version: FormatVersion; headerOk: boolean } {
  const { bytes, firstSeq, maxPayloadBytes } = input;
  if (hasValidSegmentHeader(bytes)) return { version: 2, headerOk: true };
  if (decodeRecordAt(bytes, 0, maxPayloadBytes, 1).kind === 'record') return { version: 1, headerOk: true };
  // A damaged first header or first record: whichever format finds a good record sooner wins.
  const v2 = findNextRecord(bytes, SEGMENT_HEADER_BYTES, firstSeq, maxSeq, maxPayloadBytes, 2);
  const v1 = findNextRecord(bytes, 1, firstSeq, maxSeq, maxPayloadBytes, 1);
  if (v1 && (!v2 || v1.offset < v2.offset)) return { version: 1, headerOk: true };
  return { version: 2, headerOk: false };
}

function describe(decoded: DecodedRecord): string {
  switch (decoded.kind) {
    case 'corrupt':
      return 'checksum mismatch';
    case 'implausible':
      return 'damaged length field';
    case 'incomplete':
      return 'record overruns the next good record';
    case 'record':
      return `record has an unexpected seq ${decoded.seq}`;
  }
}
