/**
 * Bytes of one segment file (little-endian). Format version 2:
 *
 *   segment header (16 B): ["RSBUFSEG"][u32 format version = 2][u32 crc32c(bytes 0..12)]
 *   record:                [u32 length | COMMIT][u32 crc][u64 seq][payload: UTF-8 JSON]
 *                          crc = crc32c(length word, seeded with crc32c(seq ‖ payload))
 *
 * COMMIT (bit 31 of the length word) marks the last record of one write; every write is followed by
 * its fdatasync before the next write starts, so after power loss recovery knows where the only write
 * that may be torn begins (segment-scan.ts). The checksum covers the length word, so a flipped length
 * or COMMIT bit is caught like a flipped payload bit. A payload is never empty (JSON), so a zero
 * length marks unwritten (zero-filled) space, not a record.
 *
 * Version 1 (no segment header, crc32c(seq ‖ payload), no COMMIT bit) is still read: a segment that
 * does not start with a valid v2 header and does start with a valid v1 record is a v1 segment. The
 * buffer never appends to a v1 segment; the first append after an upgrade opens a v2 one.
 */
import { crc32c } from '@node-rs/crc32';

export const SEGMENT_MAGIC = Buffer.from('RSBUFSEG', 'ascii');
export const SEGMENT_FORMAT_VERSION = 2;
export const SEGMENT_HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 16;
const COMMIT_BIT = 0x8000_0000;
const LENGTH_MASK = 0x7fff_ffff;

export type FormatVersion = 1 | 2;

export function encodeSegmentHeader(): Buffer {
  const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
  SEGMENT_MAGIC.copy(header, 0);
  header.writeUInt32LE(SEGMENT_FORMAT_VERSION, 8);
  header.writeUInt32LE(crc32c(header.subarray(0, 12)), 12);
  return header;
}

/** True when `bytes` starts with an intact v2 segment header. */
export function hasValidSegmentHeader(bytes: Buffer): boolean {
  if (bytes.length < SEGMENT_HEADER_BYTES) return false;
  return bytes.readUInt32LE(12) === crc32c(bytes.subarray(0, 12)) && bytes.subarray(0, 8).equals(SEGMENT_MAGIC) && bytes.readUInt32LE(8) === SEGMENT_FORMAT_VERSION;
}

/** A v2 record plus the checksum of its body, so `markCommit` can set COMMIT without re-reading the payload. */
export interface EncodedRecord {
  seq: number;
  bytes: Buffer;
  bodyCrc: number;
}

export function encodeRecord(seq: number, payload: Uint8Array): EncodedRecord {
  const bytes = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
  bytes.writeUInt32LE(payload.length, 0);
  bytes.writeBigUInt64LE(BigInt(seq), 8);
  bytes.set(payload, RECORD_HEADER_BYTES);
  const bodyCrc = crc32c(bytes.subarray(8));
  bytes.writeUInt32LE(crc32c(bytes.subarray(0, 4), bodyCrc), 4);
  return { seq, bytes, bodyCrc };
}

/** Sets COMMIT on the record (the last of a write) and re-seals its checksum. */
export function markCommit(record: EncodedRecord): void {
  record.bytes.writeUInt32LE((record.bytes.readUInt32LE(0) | COMMIT_BIT) >>> 0, 0);
  record.bytes.writeUInt32LE(crc32c(record.bytes.subarray(0, 4), record.bodyCrc), 4);
}

export type DecodedRecord =
  /** A whole record whose checksum matches. */
  | { kind: 'record'; seq: number; payload: Buffer; end: number; commit: boolean }
  /** Plausible length, fully present, checksum mismatch. Its length is not to be trusted. */
  | { kind: 'corrupt'; end: number }
  /** Header or payload runs past the available bytes (a torn write, or a read that stopped short). */
  | { kind: 'incomplete'; needed: number }
  /** Length is zero or larger than any record may be: the frame itself is damaged. */
  | { kind: 'implausible' };

/** Decodes the record starting at `offset` in `bytes` (which holds the file from some position on). */
export function decodeRecordAt(bytes: Buffer, offset: number, maxPayloadBytes: number, version: FormatVersion = 2): DecodedRecord {
  if (bytes.length - offset < RECORD_HEADER_BYTES) return { kind: 'incomplete', needed: RECORD_HEADER_BYTES };
  const word = bytes.readUInt32LE(offset);
  const commit = version === 2 && (word & COMMIT_BIT) !== 0;
  const length = version === 2 ? word & LENGTH_MASK : word;
  if (length === 0 || length > maxPayloadBytes) return { kind: 'implausible' };
  const end = offset + RECORD_HEADER_BYTES + length;
  if (end > bytes.length) return { kind: 'incomplete', needed: RECORD_HEADER_BYTES + length };
  const bodyCrc = crc32c(bytes.subarray(offset + 8, end));
  const crc = version === 2 ? crc32c(bytes.subarray(offset, offset + 4), bodyCrc) : bodyCrc;
  if (crc !== bytes.readUInt32LE(offset + 4)) return { kind: 'corrupt', end };
  return { kind: 'record', seq: Number(bytes.readBigUInt64LE(offset + 8)), payload: bytes.subarray(offset + RECORD_HEADER_BYTES, end), end, commit };
}

/**
 * The first offset ≥ `from` holding a record that checks out with seq in [minSeq, maxSeq]: how a
 * reader gets past damaged bytes. The seq window is checked before the checksum, so random bytes rarely
 * cost a CRC.
 */
export function findNextRecord(
  bytes: Buffer,
  from: number,
  minSeq: number,
  maxSeq: number,
  maxPayloadBytes: number,
  version: FormatVersion,
): { offset: number; seq: number } | undefined {
  for (let offset = from; offset + RECORD_HEADER_BYTES <= bytes.length; offset++) {
    const seqField = bytes.readUInt32LE(offset + 8) + bytes.readUInt32LE(offset + 12) * 0x1_0000_0000;
    if (seqField < minSeq || seqField > maxSeq) continue;
    const decoded = decodeRecordAt(bytes, offset, maxPayloadBytes, version);
    if (decoded.kind === 'record') return { offset, seq: decoded.seq };
  }
  return undefined;
}
