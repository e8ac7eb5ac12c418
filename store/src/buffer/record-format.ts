/**
 * One buffer record on disk (little-endian):
 *
 *   [u32 payload length][u32 crc32c(seq bytes ‖ payload)][u64 seq][payload: UTF-8 JSON]
 *
 * The checksum covers the seq so a flipped seq bit is caught like a flipped payload bit. A payload is
 * never empty (JSON), so a zero length marks unwritten (zero-filled) space, not a record.
 */
import { crc32c } from '@node-rs/crc32';

export const RECORD_HEADER_BYTES = 16;

export function encodeRecord(seq: number, payload: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
  record.writeUInt32LE(payload.length, 0);
  record.writeBigUInt64LE(BigInt(seq), 8);
  record.set(payload, RECORD_HEADER_BYTES);
  record.writeUInt32LE(crc32c(record.subarray(8)), 4);
  return record;
}

export type DecodedRecord =
  /** A whole record whose checksum matches. */
  | { kind: 'record'; seq: number; payload: Buffer; end: number }
  /** Plausible length, fully present, checksum mismatch: a damaged record of known extent. */
  | { kind: 'corrupt'; seqField: number; end: number }
  /** Header or payload runs past the available bytes (a torn write, or a read that stopped short). */
  | { kind: 'incomplete'; needed: number }
  /** Length is zero or larger than any record may be: the frame itself is damaged. */
  | { kind: 'implausible' };

/** Decodes the record starting at `offset` in `bytes` (which holds the file from some position on). */
export function decodeRecordAt(bytes: Buffer, offset: number, maxPayloadBytes: number): DecodedRecord {
  if (bytes.length - offset < RECORD_HEADER_BYTES) return { kind: 'incomplete', needed: RECORD_HEADER_BYTES };
  const length = bytes.readUInt32LE(offset);
  if (length === 0 || length > maxPayloadBytes) return { kind: 'implausible' };
  const end = offset + RECORD_HEADER_BYTES + length;
  if (end > bytes.length) return { kind: 'incomplete', needed: RECORD_HEADER_BYTES + length };
  const seqField = Number(bytes.readBigUInt64LE(offset + 8));
  const crc = bytes.readUInt32LE(offset + 4);
  if (crc32c(bytes.subarray(offset + 8, end)) !== crc) return { kind: 'corrupt', seqField, end };
  return { kind: 'record', seq: seqField, payload: bytes.subarray(offset + RECORD_HEADER_BYTES, end), end };
}
