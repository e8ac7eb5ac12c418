/**
 * Recovery scan of one segment at open. Pure: bytes in, verdict out; the buffer acts on it.
 *
 * Every byte of the segment ends up in exactly one of: a good record, a quarantined range, or the torn
 * tail. A damaged record whose length still fits is quarantined with its presumed seq (appends are
 * written in seq order, so it is the seq expected at that position). A damaged frame (implausible or
 * overrunning length) is skipped by searching forward for the next record that checks out; if none
 * does, what remains is a torn tail: bytes of a write whose fsync never completed, so nobody was
 * told they were stored.
 */
import { decodeRecordAt, RECORD_HEADER_BYTES } from './record-format.ts';

export interface ScannedRecord {
  seq: number;
  offset: number;
  length: number;
  payload: Buffer;
}

export interface QuarantinedRange {
  offset: number;
  length: number;
  /** Seqs the range most likely held (first..last), or undefined when its extent is unknown. */
  presumedSeqs: { first: number; last: number } | undefined;
  reason: string;
}

export interface SegmentScan {
  records: ScannedRecord[];
  quarantined: QuarantinedRange[];
  /** Offset where the torn tail starts; equals the segment size when there is none. */
  tornTailAt: number;
  /** Seq ranges missing between two good records with no damaged bytes between them to explain them. */
  gaps: { first: number; last: number }[];
  /** Highest seq this segment accounts for (records and presumed quarantined seqs); firstSeq − 1 when none. */
  highestSeq: number;
}

export function scanSegment(bytes: Buffer, firstSeq: number, maxPayloadBytes: number): SegmentScan {
  const records: ScannedRecord[] = [];
  const quarantined: QuarantinedRange[] = [];
  const gaps: { first: number; last: number }[] = [];
  let expectedSeq = firstSeq;
  let offset = 0;
  while (offset < bytes.length) {
    const decoded = decodeRecordAt(bytes, offset, maxPayloadBytes);
    if (decoded.kind === 'record') {
      if (decoded.seq < expectedSeq) {
        quarantined.push({ offset, length: decoded.end - offset, presumedSeqs: undefined, reason: `seq ${decoded.seq} is below the expected ${expectedSeq}` });
      } else {
        if (decoded.seq > expectedSeq) gaps.push({ first: expectedSeq, last: decoded.seq - 1 });
        records.push({ seq: decoded.seq, offset, length: decoded.end - offset, payload: decoded.payload });
        expectedSeq = decoded.seq + 1;
      }
      offset = decoded.end;
      continue;
    }
    if (decoded.kind === 'corrupt') {
      quarantined.push({ offset, length: decoded.end - offset, presumedSeqs: { first: expectedSeq, last: expectedSeq }, reason: 'checksum mismatch' });
      expectedSeq += 1;
      offset = decoded.end;
      continue;
    }
    const next = findNextRecord(bytes, offset + 1, expectedSeq, maxPayloadBytes);
    if (next === undefined) break;
    quarantined.push({
      offset,
      length: next.offset - offset,
      presumedSeqs: next.seq > expectedSeq ? { first: expectedSeq, last: next.seq - 1 } : undefined,
      reason: decoded.kind === 'implausible' ? 'damaged length field' : 'record overruns the next valid record',
    });
    offset = next.offset;
    expectedSeq = Math.max(expectedSeq, next.seq);
  }
  return { records, quarantined, gaps, tornTailAt: offset, highestSeq: expectedSeq - 1 };
}

/** The first offset ≥ `from` holding a record that checks out and does not go back in seq. */
function findNextRecord(bytes: Buffer, from: number, minSeq: number, maxPayloadBytes: number): { offset: number; seq: number } | undefined {
  for (let offset = from; offset + RECORD_HEADER_BYTES <= bytes.length; offset++) {
    const decoded = decodeRecordAt(bytes, offset, maxPayloadBytes);
    if (decoded.kind === 'record' && decoded.seq >= minSeq) return { offset, seq: decoded.seq };
  }
  return undefined;
}
