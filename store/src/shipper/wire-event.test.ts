import { describe, expect, it } from 'vitest';
import type { SaleEvent } from '@retail-sync/libs/domain';
import { saleEvent } from '../testing/sale-factory.ts';
import { toWireEvent, wireEventFast, wireEventFromJson } from './wire-event.ts';

const STORE = 'nyc-001';
const bytesOf = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

describe('wireEventFromJson', () => {
  it("takes a buffered event's envelope and its sale's bytes as they are, without parsing the sale", () => {
    const event = saleEvent(STORE, 42);
    const fast = wireEventFast(bytesOf(event));
    expect(fast).toEqual(toWireEvent(event));
    expect(fast!.sale_json.equals(Buffer.from(JSON.stringify(event.sale), 'utf8'))).toBe(true);
  });

  it('keeps non-ASCII text, escapes, nested arrays and braces inside strings of the sale byte for byte', () => {
    const event = saleEvent(STORE, 7);
    const sale = { ...event.sale, receipt_no: 'R-7 "}{][" \\ é 中文 🍞', lines: [{ ...event.sale.lines[0]!, sku: 'a}b]c' }] } as SaleEvent['sale'];
    const tricky = { ...event, sale };
    expect(wireEventFast(bytesOf(tricky))).toEqual(toWireEvent(tricky));
  });

  it('falls back to parse-and-rebuild for any other shape, with the same result', () => {
    const event = saleEvent(STORE, 9);
    const { sale, ...envelope } = event;
    const shapes: unknown[] = [
      { sale, ...envelope }, // sale first
      { ...event, note: 'a key after the sale' },
      { ...event, trace_id: 'tr\u00e9ce' }, // non-ASCII envelope string
      { ...event, store_id: 'nyc-"001"' }, // escapes in the envelope
    ];
    for (const shape of shapes) {
      expect(wireEventFast(bytesOf(shape))).toBeUndefined();
      expect(wireEventFromJson(bytesOf(shape))).toEqual(toWireEvent(shape as SaleEvent));
    }
  });

  it('never takes a truncated record for an event', () => {
    const json = bytesOf(saleEvent(STORE, 3));
    for (let length = 0; length < json.length; length++) expect(wireEventFast(json.subarray(0, length))).toBeUndefined();
  });
});
