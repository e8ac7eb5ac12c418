/**
 * The byte layout of a buffered SaleEvent record, as intake writes it (sale-event-json.ts, the same
 * text JSON.stringify gives): `{"event_id":"…","store_id":"…","seq":N,"received_at":"…","trace_id":"…","sale":{…}}`.
 * The shippers' fast paths read it without parsing (wire-event.ts for gRPC, kafka/kafka-records.ts for
 * Kafka); both fall back to parse and rebuild for a record of any other shape.
 */

export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const ZERO = 0x30;
export const NINE = 0x39;

/** What precedes each envelope value, in record order. */
export const EVENT_ID = Buffer.from('{"event_id":"', 'latin1');
export const STORE_ID = Buffer.from('","store_id":"', 'latin1');
export const SEQ = Buffer.from('","seq":', 'latin1');
export const RECEIVED_AT = Buffer.from(',"received_at":"', 'latin1');
export const TRACE_ID = Buffer.from('","trace_id":"', 'latin1');
export const SALE = Buffer.from('","sale":', 'latin1');

/** Offset after `literal` when it sits at `at`, else -1 (also for at = -1). */
export function literalAt(json: Buffer, at: number, literal: Buffer): number {
  if (at < 0 || at + literal.length > json.length) return -1;
  for (let i = 0; i < literal.length; i++) if (json[at + i] !== literal[i]) return -1;
  return at + literal.length;
}

/** Offset of the closing quote of a string of printable ASCII without escapes starting at `at`, else -1. */
export function plainStringEnd(json: Buffer, at: number): number {
  if (at < 0) return -1;
  for (let i = at; i < json.length; i++) {
    const byte = json[i]!;
    if (byte === QUOTE) return i;
    if (byte === BACKSLASH || byte < 0x20 || byte > 0x7e) return -1;
  }
  return -1;
}
