/**
 * A record as the buffer hands it out: seq, size, and the payload's JSON bytes as they lie on disk (a
 * view into the read buffer, so nothing is copied). The payload is parsed on first use only: a
 * shipper that forwards the bytes never pays for JSON.parse. The checksum was verified before the
 * record was handed out, so the bytes are the ones JSON.stringify wrote at append.
 */
import { storeErrors } from '../errors.ts';

export interface BufferRecord<T> {
  readonly seq: number;
  /** The payload, parsed from `json` on first access (then kept). */
  readonly payload: T;
  /** The payload's UTF-8 JSON bytes, exactly as appended (a view into the read buffer). */
  readonly json: Buffer;
  /** Bytes on disk, header included. */
  readonly bytes: number;
}

export class StoredRecord<T> implements BufferRecord<T> {
  private parsed: { value: T } | undefined;

  constructor(
    readonly seq: number,
    readonly bytes: number,
    private readonly source: Buffer,
    private readonly start: number,
    private readonly end: number,
  ) {}

  /** A record whose payload the caller already parsed (recovery parses what the index needs anyway). */
  static parsed<T>(seq: number, bytes: number, json: Buffer, value: T): StoredRecord<T> {
    const record = new StoredRecord<T>(seq, bytes, json, 0, json.length);
    record.parsed = { value };
    return record;
  }

  get json(): Buffer {
    return this.source.subarray(this.start, this.end);
  }

  get payload(): T {
    if (!this.parsed) {
      try {
        this.parsed = { value: JSON.parse(this.source.toString('utf8', this.start, this.end)) as T };
      } catch (error) {
        // Only a writer bug gets here: the checksum matched, so these are the bytes that were appended.
        throw storeErrors.create('RS_ERR_BUFFER_CORRUPT', `buffer record ${this.seq} checks out but is not JSON: ${(error as Error).message}`, { cause: error });
      }
    }
    return this.parsed.value;
  }
}
