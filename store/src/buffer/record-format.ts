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
  bytes.set(payload, RECORD_HEADER_BYTES);
  const bodyCrc = sealRecordAt(bytes, 0, seq, payload.length);
  return { seq, bytes, bodyCrc };
}

/**
 * Writes the header of the record whose payload already sits at `offset + 16` in `bytes` (no COMMIT),
 * checksum included; returns the body checksum. Lets an append encode a whole batch into one buffer.
 */
export function sealRecordAt(bytes: Buffer, offset: number, seq: number, payloadLength: number): number {
  bytes.writeUInt32LE(payloadLength, offset);
  writeSeq(bytes, offset + 8, seq);
  const bodyCrc = crc32c(bytes.subarray(offset + 8, offset + RECORD_HEADER_BYTES + payloadLength));
  bytes.writeUInt32LE(extendCrc32c(bodyCrc, bytes, offset), offset + 4);
  return bodyCrc;
}

/** Sets COMMIT on the record (the last of a write) and re-seals its checksum. */
export function markCommit(record: EncodedRecord): void {
  record.bytes.writeUInt32LE((record.bytes.readUInt32LE(0) | COMMIT_BIT) >>> 0, 0);
  record.bytes.writeUInt32LE(extendCrc32c(record.bodyCrc, record.bytes, 0), 4);
}

/** `markCommit` for a v2 record inside a larger buffer (its body checksum is computed again: once per write). */
export function markCommitAt(bytes: Buffer, offset: number): void {
  const length = bytes.readUInt32LE(offset) & LENGTH_MASK;
  const bodyCrc = crc32c(bytes.subarray(offset + 8, offset + RECORD_HEADER_BYTES + length));
  bytes.writeUInt32LE((length | COMMIT_BIT) >>> 0, offset);
  bytes.writeUInt32LE(extendCrc32c(bodyCrc, bytes, offset), offset + 4);
}

/** u64 seq without a BigInt per record (seqs stay below 2^53). */
function writeSeq(bytes: Buffer, at: number, seq: number): void {
  bytes.writeUInt32LE(seq % 0x1_0000_0000, at);
  bytes.writeUInt32LE(Math.floor(seq / 0x1_0000_0000), at + 4);
}

export function readSeq(bytes: Buffer, at: number): number {
  return bytes.readUInt32LE(at) + bytes.readUInt32LE(at + 4) * 0x1_0000_0000;
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
  const end = checkRecordAt(bytes, offset, maxPayloadBytes, version);
  if (end > 0) {
    const commit = version === 2 && (bytes.readUInt32LE(offset) & COMMIT_BIT) !== 0;
    return { kind: 'record', seq: readSeq(bytes, offset + 8), payload: bytes.subarray(offset + RECORD_HEADER_BYTES, end), end, commit };
  }
  if (end === IMPLAUSIBLE) return { kind: 'implausible' };
  if (bytes.length - offset < RECORD_HEADER_BYTES) return { kind: 'incomplete', needed: RECORD_HEADER_BYTES };
  const length = recordLengthAt(bytes, offset, version);
  if (end === INCOMPLETE) return { kind: 'incomplete', needed: RECORD_HEADER_BYTES + length };
  return { kind: 'corrupt', end: offset + RECORD_HEADER_BYTES + length };
}

/** `checkRecordAt` results other than a record's end offset. */
export const INCOMPLETE = -1;
export const CORRUPT = -2;
export const IMPLAUSIBLE = -3;

/**
 * The allocation-light form of `decodeRecordAt` for the read loop: the end offset of the intact record
 * at `offset`, or INCOMPLETE / CORRUPT / IMPLAUSIBLE. Same checks, no result object.
 */
export function checkRecordAt(bytes: Buffer, offset: number, maxPayloadBytes: number, version: FormatVersion = 2): number {
  if (bytes.length - offset < RECORD_HEADER_BYTES) return INCOMPLETE;
  const length = recordLengthAt(bytes, offset, version);
  if (length === 0 || length > maxPayloadBytes) return IMPLAUSIBLE;
  const end = offset + RECORD_HEADER_BYTES + length;
  if (end > bytes.length) return INCOMPLETE;
  const bodyCrc = crc32c(bytes.subarray(offset + 8, end));
  const crc = version === 2 ? extendCrc32c(bodyCrc, bytes, offset) : bodyCrc;
  return crc === bytes.readUInt32LE(offset + 4) ? end : CORRUPT;
}

function recordLengthAt(bytes: Buffer, offset: number, version: FormatVersion): number {
  const word = bytes.readUInt32LE(offset);
  return version === 2 ? word & LENGTH_MASK : word;
}

/** Castagnoli table for the 4-byte length word: cheaper in JS than a native call per record. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** crc32c(bytes[at..at+4], seeded with `crc`): the same value as `crc32c(bytes.subarray(at, at + 4), crc)`. */
export function extendCrc32c(crc: number, bytes: Uint8Array, at: number): number {
  let c = ~crc;
  for (let i = at; i < at + 4; i++) c = CRC32C_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
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
    const seqField = readSeq(bytes, offset + 8);
    if (seqField < minSeq || seqField > maxSeq) continue;
    if (checkRecordAt(bytes, offset, maxPayloadBytes, version) > 0) return { offset, seq: seqField };
  }
  return undefined;
}
