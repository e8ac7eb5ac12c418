/**
 * The Ship stream's request serializer: a ShipBatch straight to protobuf bytes (retail_sync.proto),
 * sized first, then written into one buffer. protobufjs would copy every event into a message object
 * (fromObject) and queue one writer op per field before encoding; a batch is hundreds of events, so
 * that is most of the shipper's allocations. Same wire format (proto3: fields at their default value
 * are left out, as protobufjs does); ship-batch-encoder.test.ts decodes its output with the
 * proto-loader definition central uses.
 */
import type { ShipBatch, WireSaleEvent } from '@retail-sync/libs/proto';

// Field keys: (field number << 3) | wire type (0 = varint, 2 = length-delimited).
const BATCH_ID = (1 << 3) | 2;
const EVENTS = (2 << 3) | 2;
const HIGH_WATER_SEQ = (3 << 3) | 0;
const EVENT_ID = (1 << 3) | 2;
const STORE_ID = (2 << 3) | 2;
const SEQ = (3 << 3) | 0;
const RECEIVED_AT = (4 << 3) | 2;
const TRACE_ID = (5 << 3) | 2;
const SALE_JSON = (6 << 3) | 2;

export function encodeShipBatch(batch: ShipBatch): Buffer {
  const eventSizes = new Array<number>(batch.events.length);
  let size = stringFieldSize(batch.batch_id) + varintFieldSize(batch.high_water_seq);
  for (let i = 0; i < batch.events.length; i++) {
    const eventSize = eventBodySize(batch.events[i]!);
    eventSizes[i] = eventSize;
    size += 1 + varintSize(eventSize) + eventSize;
  }
  const out = Buffer.allocUnsafe(size);
  let at = writeStringField(out, 0, BATCH_ID, batch.batch_id);
  for (let i = 0; i < batch.events.length; i++) {
    const event = batch.events[i]!;
    out[at++] = EVENTS;
    at = writeVarint(out, at, eventSizes[i]!);
    at = writeStringField(out, at, EVENT_ID, event.event_id);
    at = writeStringField(out, at, STORE_ID, event.store_id);
    at = writeVarintField(out, at, SEQ, event.seq);
    at = writeStringField(out, at, RECEIVED_AT, event.received_at);
    at = writeStringField(out, at, TRACE_ID, event.trace_id);
    if (event.sale_json.length > 0) {
      out[at++] = SALE_JSON;
      at = writeVarint(out, at, event.sale_json.length);
      out.set(event.sale_json, at);
      at += event.sale_json.length;
    }
  }
  at = writeVarintField(out, at, HIGH_WATER_SEQ, batch.high_water_seq);
  if (at !== size) throw new Error(`ShipBatch encoder wrote ${at} of ${size} bytes`);
  return out;
}

function eventBodySize(event: WireSaleEvent): number {
  const sale = event.sale_json.length;
  return (
    stringFieldSize(event.event_id) +
    stringFieldSize(event.store_id) +
    varintFieldSize(event.seq) +
    stringFieldSize(event.received_at) +
    stringFieldSize(event.trace_id) +
    (sale > 0 ? 1 + varintSize(sale) + sale : 0)
  );
}

/** UTF-8 length without a native call for the usual ASCII envelope strings. */
function utf8Length(text: string): number {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return Buffer.byteLength(text, 'utf8');
  return text.length;
}

function stringFieldSize(text: string): number {
  if (text.length === 0) return 0;
  const length = utf8Length(text);
  return 1 + varintSize(length) + length;
}

function varintFieldSize(value: number): number {
  return value === 0 ? 0 : 1 + varintSize(value);
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size += 1;
  }
  return size;
}

function writeVarint(out: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[at++] = value;
  return at;
}

function writeVarintField(out: Buffer, at: number, key: number, value: number): number {
  if (value === 0) return at;
  out[at] = key;
  return writeVarint(out, at + 1, value);
}

function writeStringField(out: Buffer, at: number, key: number, text: string): number {
  if (text.length === 0) return at;
  const length = utf8Length(text);
  out[at++] = key;
  at = writeVarint(out, at, length);
  if (length === text.length) {
    for (let i = 0; i < length; i++) out[at + i] = text.charCodeAt(i);
  } else {
    out.write(text, at, length, 'utf8');
  }
  return at + length;
}
