import fc from 'fast-check';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newEventId, newTraceId, parseSale, saleLineSchema, saleSchema, type Sale, type SaleEvent } from '@retail-sync/libs/domain';
import { validSaleArbitrary } from '@retail-sync/libs/testing';
import { DiskBuffer } from '../buffer/index.ts';
import { wireEventFast } from '../shipper/wire-event.ts';
import { makeTempDir } from '../testing/capture-logger.ts';
import { SALE_JSON_KEYS, SALE_JSON_LINE_KEYS, SaleEventJson, saleJson } from './sale-event-json.ts';

/** Free text as JSON.stringify must escape it: quotes, backslashes, control characters, lone surrogates. */
const customerId = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }),
  fc.constantFrom('"', '\\', '\u0000\u001f', '\ud800', 'a\udc00b', 'é€😀', '\u2028', 'c'.repeat(128)),
);
/** Sales as a POS may post them: any key order, optional keys present or not, unknown keys, no store_id. */
const posted = validSaleArbitrary({ storeId: false, customerId, unknownKey: fc.jsonValue() }).chain((sale) =>
  fc.shuffledSubarray(Object.keys(sale), { minLength: Object.keys(sale).length }).map((order) => Object.fromEntries(order.map((key) => [key, sale[key]]))),
);

/** What intake stores for a posted sale: the same check intake runs, with the store id filled in. */
function validated(input: Record<string, unknown>): Sale {
  const parsed = parseSale({ ...input, store_id: 'nyc-001' });
  if (!parsed.ok) throw new Error(`generated an invalid sale: ${JSON.stringify(parsed.issues)}`);
  return parsed.sale;
}

/** The event as intake built it before records were made from parts: the buffer stored JSON.stringify of this. */
function eventObject(sale: Sale, seq: number, eventId: string, traceId: string, receivedAt: string): SaleEvent {
  return { event_id: eventId, store_id: 'nyc-001', seq, received_at: receivedAt, trace_id: traceId, sale };
}

describe('saleJson and SaleEventJson', () => {
  it('write every key of the sale schema, in its order', () => {
    expect(Object.keys(saleSchema.shape)).toEqual([...SALE_JSON_KEYS]);
    expect(Object.keys(saleLineSchema.shape)).toEqual([...SALE_JSON_LINE_KEYS]);
  });

  it('give exactly the text JSON.stringify gives, for generated sales through either path of parseSale', () => {
    fc.assert(
      fc.property(posted, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (input, seq) => {
        const sale = validated(input);
        expect(saleJson(sale)).toBe(JSON.stringify(sale));
        const viaZod = saleSchema.parse({ ...input, store_id: 'nyc-001' }); // the slow path's output, as for an odd input
        expect(saleJson(viaZod)).toBe(JSON.stringify(viaZod));
        const [eventId, traceId, receivedAt] = [newEventId(), newTraceId(), new Date().toISOString()];
        const text = new SaleEventJson('nyc-001', receivedAt).record(eventId, seq, traceId, saleJson(sale));
        expect(text).toBe(JSON.stringify(eventObject(sale, seq, eventId, traceId, receivedAt)));
      }),
      { numRuns: 500 },
    );
  });
});

describe('DiskBuffer.appendJson with intake records', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir('sale-json'));
  });
  afterEach(async () => cleanup());

  async function segmentBytes(at: string): Promise<Buffer[]> {
    const names = (await readdir(at)).filter((name) => name.startsWith('segment-')).sort();
    return Promise.all(names.map((name) => readFile(join(at, name))));
  }

  it('stores the same segment bytes as appending the event objects, which readers and the wire fast path take', async () => {
    const sales = fc.sample(posted, { numRuns: 300, seed: 9 }).map(validated);
    const receivedAt = new Date().toISOString();
    const ids = sales.map(() => [newEventId(), newTraceId()] as const);
    const [objectsDir, textDir] = [join(dir, 'objects'), join(dir, 'text')];
    const objects = await DiskBuffer.open<SaleEvent>(objectsDir, { segmentBytes: 64 * 1024 });
    const texts = await DiskBuffer.open<SaleEvent>(textDir, { segmentBytes: 64 * 1024 });
    const records = new SaleEventJson('nyc-001', receivedAt);
    for (let from = 0; from < sales.length; from += 50) {
      const batch = sales.slice(from, from + 50).map((sale, i) => ({ sale, ids: ids[from + i]! }));
      await objects.append(batch.map(({ sale, ids: [eventId, traceId] }) => (seq: number) => eventObject(sale, seq, eventId, traceId, receivedAt)));
      await texts.appendJson(batch.map(({ sale, ids: [eventId, traceId] }) => (seq: number) => records.record(eventId, seq, traceId, saleJson(sale))));
    }
    const read = await texts.readFrom(0, sales.length, Number.MAX_SAFE_INTEGER);
    await Promise.all([objects.close(), texts.close()]);

    const [before, after] = [await segmentBytes(objectsDir), await segmentBytes(textDir)];
    expect(after.length).toBeGreaterThan(1);
    expect(after).toEqual(before);
    expect(read.map((record) => record.payload)).toEqual(sales.map((sale, i) => eventObject(sale, i + 1, ids[i]![0], ids[i]![1], receivedAt)));
    for (const record of read) expect(wireEventFast(record.json)?.sale_json.toString('utf8')).toBe(JSON.stringify(record.payload.sale));
  });
});
