/**
 * A buffered SaleEvent turned into a wire event straight from its JSON bytes: the envelope fields are
 * read out of the record, and `sale_json` is the sale's bytes as they lie in the buffer (a view: no
 * JSON.parse, no re-stringify, no copy until protobuf writes them).
 *
 * Why the bytes are the same as before: the buffer stores JSON.stringify(event), and intake builds the
 * event as {event_id, store_id, seq, received_at, trace_id, sale}, so the record reads
 * `{"event_id":"…","store_id":"…","seq":N,"received_at":"…","trace_id":"…","sale":{…}}` and the text
 * of its `sale` value is exactly JSON.stringify(event.sale). The fast path checks that shape (keys in
 * that order, plain ASCII envelope strings, the sale an object that closes right before the record
 * does); any other record (another key order, escapes, a key after `sale`, an older writer) takes the
 * slow path, parse and rebuild, which gives the same wire event.
 */
import type { SaleEvent } from '@retail-sync/libs/domain';
import type { WireSaleEvent } from '@retail-sync/libs/proto';
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, EVENT_ID, literalAt, NINE, OPEN_BRACE, OPEN_BRACKET, plainStringEnd, QUOTE, RECEIVED_AT, SALE, SEQ, STORE_ID, TRACE_ID, ZERO } from './sale-record-layout.ts';


export function toWireEvent(event: SaleEvent): WireSaleEvent {
  return {
    event_id: event.event_id,
    store_id: event.store_id,
    seq: event.seq,
    received_at: event.received_at,
    trace_id: event.trace_id,
    sale_json: Buffer.from(JSON.stringify(event.sale), 'utf8'),
  };
}

/** The wire event of a buffered SaleEvent record (its JSON bytes); parses only when the fast path does not apply. */
export function wireEventFromJson(json: Buffer): WireSaleEvent {
  return wireEventFast(json) ?? toWireEvent(JSON.parse(json.toString('utf8')) as SaleEvent);
}

/** The fast path, or undefined when the record does not have the expected shape. */
export function wireEventFast(json: Buffer): WireSaleEvent | undefined {
  const eventIdStart = literalAt(json, 0, EVENT_ID);
  const eventIdEnd = plainStringEnd(json, eventIdStart);
  const storeIdStart = literalAt(json, eventIdEnd, STORE_ID);
  const storeIdEnd = plainStringEnd(json, storeIdStart);
  const seqStart = literalAt(json, storeIdEnd, SEQ);
  if (seqStart < 0) return undefined;
  let at = seqStart;
  let seq = 0;
  while (at < json.length && at - seqStart < 16 && json[at]! >= ZERO && json[at]! <= NINE) seq = seq * 10 + (json[at++]! - ZERO);
  if (at === seqStart || !Number.isSafeInteger(seq)) return undefined;
  const receivedAtStart = literalAt(json, at, RECEIVED_AT);
  const receivedAtEnd = plainStringEnd(json, receivedAtStart);
  const traceIdStart = literalAt(json, receivedAtEnd, TRACE_ID);
  const traceIdEnd = plainStringEnd(json, traceIdStart);
  const saleStart = literalAt(json, traceIdEnd, SALE);
  if (saleStart < 0 || json[saleStart] !== OPEN_BRACE) return undefined;
  // The sale must be the last key: its closing brace sits right before the record's.
  const saleEnd = closingBraceOf(json, saleStart);
  if (saleEnd !== json.length - 2 || json[json.length - 1] !== CLOSE_BRACE) return undefined;
  return {
    event_id: json.toString('latin1', eventIdStart, eventIdEnd),
    store_id: json.toString('latin1', storeIdStart, storeIdEnd),
    seq,
    received_at: json.toString('latin1', receivedAtStart, receivedAtEnd),
    trace_id: json.toString('latin1', traceIdStart, traceIdEnd),
    sale_json: json.subarray(saleStart, saleEnd + 1),
  };
}

/** Offset of the brace closing the object that opens at `at` (strings and escapes skipped), else -1. */
function closingBraceOf(json: Buffer, at: number): number {
  let depth = 0;
  for (let i = at; i < json.length; i++) {
    const byte = json[i]!;
    if (byte === QUOTE) {
      for (i += 1; i < json.length; i++) {
        const inner = json[i]!;
        if (inner === BACKSLASH) i += 1;
        else if (inner === QUOTE) break;
      }
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth += 1;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}
