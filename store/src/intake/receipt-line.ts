/**
 * receipts.log lines written straight into one buffer: each line is exactly
 * `JSON.stringify({k, e, s, a}) + '\n'` (receipt-index.ts reads them with JSON.parse), but built
 * without an object, a string or a UUID text per line: persisting a segment's 15,000-odd keys from
 * memory made more garbage than anything else on the shipping path before (measured in the gRPC bench).
 * Printable ASCII is written as is (`"` and `\` escaped); a string with anything else is written
 * through JSON.stringify, so every escape is JSON.stringify's own.
 */
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Longest line apart from its strings: the field names, quotes and two 16-digit numbers. */
const LINE_OVERHEAD_BYTES = 80;

export class ReceiptLineWriter {
  private bytes: Buffer;
  private length = 0;
  /** Lines written. */
  lines = 0;

  constructor(expectedLines: number) {
    this.bytes = Buffer.allocUnsafe(Math.max(1024, expectedLines * 128));
  }

  /** Appends one line; the event id is either 16 UUID bytes at `ids[idAt]` or, when given, `oddId`. */
  add(key: string, ids: Uint8Array, idAt: number, oddId: string | undefined, seq: number, at: number): void {
    this.reserve(LINE_OVERHEAD_BYTES + 6 * key.length + 6 * (oddId?.length ?? 36));
    this.ascii('{"k":');
    this.string(key);
    this.ascii(',"e":');
    if (oddId === undefined) this.uuid(ids, idAt);
    else this.string(oddId);
    this.ascii(',"s":');
    this.number(seq);
    this.ascii(',"a":');
    this.number(at);
    this.ascii('}\n');
    this.lines += 1;
  }

  /** The lines written so far (a view, valid until the next add). */
  text(): Buffer {
    return this.bytes.subarray(0, this.length);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + bytes));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  private ascii(text: string): void {
    for (let i = 0; i < text.length; i += 1) this.bytes[this.length++] = text.charCodeAt(i);
  }

  /** JSON.stringify(text), as UTF-8. */
  private string(text: string): void {
    const start = this.length;
    this.bytes[this.length++] = 0x22;
    for (let i = 0; i < text.length; i += 1) {
      const code = text.charCodeAt(i);
      if (code < 0x20 || code >= 0x7f) {
        this.length = start + this.bytes.write(JSON.stringify(text), start, 'utf8');
        return;
      }
      if (code === 0x22 || code === 0x5c) this.bytes[this.length++] = 0x5c;
      this.bytes[this.length++] = code;
    }
    this.bytes[this.length++] = 0x22;
  }

  /** The lower-case UUID text of 16 bytes, quoted. */
  private uuid(ids: Uint8Array, at: number): void {
    this.bytes[this.length++] = 0x22;
    for (let i = 0; i < 16; i += 1) {
      const byte = ids[at + i]!;
      this.bytes[this.length++] = HEX[byte >> 4]!;
      this.bytes[this.length++] = HEX[byte & 15]!;
      if (i === 3 || i === 5 || i === 7 || i === 9) this.bytes[this.length++] = 0x2d;
    }
    this.bytes[this.length++] = 0x22;
  }

  /** JSON.stringify(value): digits for a non-negative safe integer, JSON.stringify's text otherwise. */
  private number(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      this.ascii(JSON.stringify(value));
      return;
    }
    if (value === 0) {
      this.bytes[this.length++] = 0x30;
      return;
    }
    let digits = 0;
    for (let rest = value; rest > 0; rest = Math.floor(rest / 10)) digits += 1;
    let rest = value;
    for (let i = digits - 1; i >= 0; i -= 1) {
      this.bytes[this.length + i] = 0x30 + (rest % 10);
      rest = Math.floor(rest / 10);
    }
    this.length += digits;
  }
}
