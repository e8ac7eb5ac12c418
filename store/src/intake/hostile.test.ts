/**
 * Hostile input through the real HTTP intake (a store listening on 127.0.0.1, requests over the wire):
 * fast-check generates at least 10 000 hostile payloads per run. Sale-level ones travel in batches with
 * valid sales mixed in, and each gets its own verdict (rejected, naming the field it broke); body-level
 * ones (bytes that are not UTF-8, wrong content types, nesting, not JSON, oversize) each get their own
 * request and a 4xx naming the body or the field. Afterwards: never a 5xx, no error logged, the process
 * still answers, and the buffer holds exactly the valid sales — each once. Sale-level payloads stay
 * below 2 000 characters each so a batch (≤ 65 of them) never crosses the body limit by accident.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SaleEvent } from '@retail-sync/libs/domain';
import { DiskBuffer } from '../buffer/index.ts';
import { storeConfig } from '../config.ts';
import { startStore, type RunningStore } from '../store.ts';
import { captureLogger, ERROR_LEVEL, makeTempDir, type LogLine } from '../testing/capture-logger.ts';
import { validSale, type PosSaleInput } from '../testing/sale-factory.ts';

const BODY_LIMIT = 256 * 1024;
const MAX_SALES = 200;
const SALE_RUNS = 170;
const HOSTILE_PER_BATCH = { min: 59, max: 65 }; // 170 × 59 + 400 ≥ 10 000 whatever fast-check draws
const BODY_RUNS = 400;
const knownCurrencies = new Set(Intl.supportedValuesOf('currency'));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** One hostile sale: its JSON text (duplicate keys need raw text) and the field its verdict must name. */
interface HostileSale {
  kind: string;
  text: string;
  field: string;
}

let receiptCounter = 0;
const nextReceipt = (prefix: string) => `${prefix}-${++receiptCounter}`;
const saleJson = () => validSale(nextReceipt('H')) as unknown as Record<string, Json>;

function withField(path: Array<string | number>, value: Json | undefined): Record<string, Json> {
  const sale = saleJson();
  let target: Record<string, Json> | Json[] = sale;
  for (const step of path.slice(0, -1)) target = (target as Record<string, Json>)[step] as Record<string, Json>;
  const last = path[path.length - 1]!;
  if (value === undefined) Reflect.deleteProperty(target as object, last);
  else (target as Record<string | number, Json>)[last] = value;
  return sale;
}

const hostile = (kind: string, path: Array<string | number>, value: Json | undefined): HostileSale => ({
  kind,
  text: JSON.stringify(withField(path, value)),
  field: path.join('.'),
});

const anyJson: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>;
const notString = anyJson.filter((value) => typeof value !== 'string');
const notNumber = anyJson.filter((value) => typeof value !== 'number');
const stringFields = ['terminal_id', 'receipt_no', 'occurred_at', 'type', 'currency', 'payment_method', 'customer_id'];
const moneyFields: Array<Array<string | number>> = [['lines', 0, 'unit_price_minor'], ['lines', 1, 'discount_minor'], ['tax_minor'], ['total_minor']];
const numberFields: Array<Array<string | number>> = [...moneyFields, ['lines', 0, 'qty']];
const requiredFields = ['terminal_id', 'receipt_no', 'occurred_at', 'type', 'currency', 'lines', 'tax_minor', 'total_minor', 'payment_method'];

const nested = (depth: number, leaf: Json, asObject: boolean): Json => {
  let value = leaf;
  for (let level = 0; level < depth; level += 1) value = asObject ? { x: value } : [value];
  return value;
};

const impossibleInstant = fc.oneof(
  fc.constantFrom('2026-02-29T10:00:00Z', '2026-02-30T10:00:00+01:00', '2026-04-31T10:00:00Z', '2026-13-01T10:00:00Z', '2026-00-10T10:00:00Z',
    '2026-03-08T24:00:00Z', '2026-03-08T10:60:00Z', '2026-03-08T10:00:60Z', '2026-03-08T10:00:00+14:30', '2026-03-08T10:00:00+15:00',
    '2026-03-08T10:00:00-23:00', '2026-03-08T10:00:00', '2026-03-08', '1969-12-31T23:59:59Z', '2201-01-01T00:00:00Z', 'yesterday', '',
    '2026-03-08T10:00:00.1234567890Z', '２０２６-03-08T10:00:00Z'),
  fc.record({ month: fc.integer({ min: 13, max: 99 }), day: fc.integer({ min: 1, max: 28 }) }).map(({ month, day }) => `2026-${month}-${String(day).padStart(2, '0')}T10:00:00Z`),
  fc.integer({ min: 24, max: 99 }).map((hour) => `2026-03-08T${hour}:00:00-05:00`),
  fc.integer({ min: 15, max: 99 }).map((offset) => `2026-03-08T10:00:00+${offset}:00`),
);

const hostileSale: fc.Arbitrary<HostileSale> = fc.oneof(
  fc.tuple(fc.constantFrom(...stringFields), notString).map(([field, value]) => hostile('wrong type (string field)', [field], value)),
  fc.tuple(fc.constantFrom(...numberFields), notNumber).map(([path, value]) => hostile('wrong type (number field)', path, value)),
  fc.oneof(fc.string(), fc.integer(), fc.constant({})).map((value) => hostile('wrong type (lines)', ['lines'], value as Json)),
  fc.tuple(fc.constantFrom(...moneyFields), fc.integer({ min: 0, max: 10_000 }), fc.double({ min: 0.001, max: 0.999, noNaN: true }))
    .map(([path, whole, fraction]) => hostile('float money', path, whole + fraction)),
  fc.tuple(fc.constantFrom(...moneyFields), fc.oneof(fc.integer({ min: 100_000_000_001, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(2 ** 64, 1e21, 1e300, -1e300)))
    .map(([path, value]) => hostile('huge money', path, value)),
  fc.integer({ min: -1_000_000, max: 0 }).map((qty) => hostile('negative quantity', ['lines', 0, 'qty'], qty)),
  fc.integer({ min: 100_001, max: 2 ** 40 }).map((qty) => hostile('huge quantity', ['lines', 0, 'qty'], qty)),
  fc.integer({ min: 1, max: 1_000_000 }).map((delta) => {
    const sale = saleJson();
    sale.total_minor = (sale.total_minor as number) + delta;
    return { kind: 'totals do not add up', text: JSON.stringify(sale), field: 'total_minor' };
  }),
  fc.oneof(fc.stringMatching(/^[A-Z]{3}$/).filter((code) => !knownCurrencies.has(code)), fc.constantFrom('usd', 'US', 'USDD', 'U$D', '€', ''))
    .map((currency) => hostile('unknown currency', ['currency'], currency)),
  impossibleInstant.map((instant) => hostile('impossible date or offset', ['occurred_at'], instant)),
  fc.tuple(fc.constantFrom<Array<string | number>>(['terminal_id'], ['receipt_no'], ['lines', 0, 'sku'], ['original_receipt_no']), fc.integer({ min: 65, max: 2_000 }))
    .map(([path, length]) => hostile('oversize string', path, 'a'.repeat(length))),
  fc.integer({ min: 129, max: 2_000 }).map((length) => hostile('oversize customer_id', ['customer_id'], 'c'.repeat(length))),
  fc.tuple(fc.constantFrom('lines', 'customer_id', 'tax_minor'), fc.integer({ min: 1, max: 11 }), fc.boolean())
    .map(([field, depth, asObject]) => hostile('deep nesting', [field], nested(depth, 1, asObject))),
  fc.constantFrom(...requiredFields).map((field) => hostile('missing field', [field], undefined)),
  fc.tuple(fc.constantFrom(...requiredFields), anyJson).map(([field, second]) => {
    const text = `{${JSON.stringify(field)}:${JSON.stringify(second)},${JSON.stringify(saleJson()).slice(1)}`;
    return { kind: 'duplicate key', text, field };
  }),
  fc.constantFrom('bos-001', 'NYC-001', 'nyc-001 ', 'x').map((storeId) => hostile('another store', ['store_id'], storeId)),
  fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }))
    .map((value) => ({ kind: 'not an object', text: JSON.stringify(value), field: '(body)' })),
);

/** One request's bytes, content type and what its 4xx must name. */
interface HostileBody {
  kind: string;
  bytes: Uint8Array;
  contentType: string | undefined;
  field: string;
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const validBody = () => JSON.stringify(validSale(nextReceipt('B')));

const hostileBody: fc.Arbitrary<HostileBody> = fc.oneof(
  fc.tuple(fc.constantFrom([0xff], [0xc0, 0x80], [0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80]), fc.nat())
    .map(([bad, at]) => {
      const text = validBody();
      const inside = text.indexOf('"B-') + 2 + (at % 3); // inside the receipt_no string value
      const bytes = Uint8Array.from([...utf8(text.slice(0, inside)), ...bad, ...utf8(text.slice(inside))]);
      return { kind: 'invalid UTF-8', bytes, contentType: 'application/json', field: '(body)' };
    }),
  fc.constantFrom('text/plain', 'text/plain;charset=UTF-8', 'text/html', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
    'application/octet-stream', 'image/png', 'application/json; charset=utf-16', 'application/json; charset=iso-8859-1', 'application/jsonp', undefined)
    .map((contentType) => ({ kind: 'wrong content type', bytes: utf8(validBody()), contentType, field: '(body)' })),
  fc.tuple(fc.integer({ min: 17, max: 100_000 }), fc.boolean()).map(([depth, asObject]) => ({
    kind: 'deep nesting (body)',
    bytes: utf8(asObject ? `${'{"sales":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`),
    contentType: 'application/json',
    field: '(body)',
  })),
  fc.string({ maxLength: 200 }).filter((text) => {
    try {
      JSON.parse(text);
      return false;
    } catch {
      return true;
    }
  }).map((text) => ({ kind: 'not JSON', bytes: utf8(text), contentType: 'application/json', field: '(body)' })),
  fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.boolean(), fc.array(fc.integer())).map((value) => ({
    kind: 'JSON but not an object', bytes: utf8(JSON.stringify(value)), contentType: 'application/json', field: '(body)',
  })),
  fc.integer({ min: BODY_LIMIT + 1, max: BODY_LIMIT * 3 }).map((size) => ({
    kind: 'oversize body', bytes: utf8(JSON.stringify({ ...validSale(nextReceipt('B')), customer_id: 'x'.repeat(size) })), contentType: 'application/json', field: '(body)',
  })),
  fc.constant(0).map(() => ({ kind: 'duplicate sales key', bytes: utf8(`{"sales":[],"sales":[${validBody()}]}`), contentType: 'application/json', field: 'sales' })),
  fc.integer({ min: MAX_SALES + 1, max: MAX_SALES + 50 }).map((count) => ({
    kind: 'too many sales', bytes: utf8(JSON.stringify({ sales: Array.from({ length: count }, () => validSale(nextReceipt('B'))) })), contentType: 'application/json', field: 'sales',
  })),
);

interface Verdict {
  status: string;
  error?: { code: string; issues: Array<{ field: string; rule: string }> };
}

let store: RunningStore;
let dir: string;
let cleanup: () => Promise<void>;
let logLines: LogLine[];
const statuses = new Map<number, number>();
const validReceipts: string[] = [];
let hostilePayloads = 0;
let salePayloadRequests = 0;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('hostile'));
  const captured = captureLogger('info');
  logLines = captured.lines;
  const config = storeConfig({
    RS_STORE_ID: 'nyc-001', RS_STORE_PORT: 0, RS_STORE_DATA_DIR: dir, RS_INTAKE_BODY_LIMIT_BYTES: BODY_LIMIT, RS_INTAKE_MAX_SALES_PER_REQUEST: MAX_SALES,
    RS_INTAKE_RATE_LIMIT_MAX: 1_000_000,
  });
  store = await startStore(config, { logger: captured.logger, ship: false, processMetrics: false });
});

afterAll(async () => {
  await store?.close();
  await cleanup();
});

async function post(bytes: Uint8Array | string, contentType: string | undefined): Promise<{ status: number; body: { results?: Verdict[]; error?: Verdict['error'] & { code: string } } }> {
  const response = await fetch(`${store.url}/v1/sales`, { method: 'POST', headers: contentType === undefined ? {} : { 'content-type': contentType }, body: bytes });
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  return { status: response.status, body: (await response.json()) as never };
}

const namesField = (issues: Array<{ field: string; rule: string }> | undefined, field: string) =>
  (issues ?? []).some((issue) => (issue.field === field || issue.field.startsWith(`${field}.`)) && issue.rule.length > 0);

describe('intake under hostile input', () => {
  it('gives each hostile sale of a mixed batch its own rejection naming the field, and stores every valid neighbour', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileSale, { minLength: HOSTILE_PER_BATCH.min, maxLength: HOSTILE_PER_BATCH.max }), fc.integer({ min: 1, max: 8 }), fc.nat(), async (bad, goodCount, seed) => {
        const good = Array.from({ length: goodCount }, () => validSale(nextReceipt('V'), { customer_id: `cust-${seed}` }) as PosSaleInput);
        const entries: Array<{ text: string; expect: HostileSale | 'valid'; receipt?: string }> = [
          ...bad.map((sale) => ({ text: sale.text, expect: sale })),
          ...good.map((sale) => ({ text: JSON.stringify(sale), expect: 'valid' as const, receipt: sale.receipt_no })),
        ];
        entries.sort((a, b) => (a.text.length * 31 + seed) % 7 - (b.text.length * 31 + seed) % 7); // interleave
        const { status, body } = await post(`{"sales":[${entries.map((entry) => entry.text).join(',')}]}`, 'application/json');
        expect(status, JSON.stringify(body).slice(0, 500)).toBe(202);
        entries.forEach((entry, index) => {
          const verdict = body.results![index]!;
          if (entry.expect === 'valid') {
            expect(verdict.status, `valid sale ${entry.receipt}`).toBe('accepted');
            validReceipts.push(entry.receipt!);
          } else {
            expect(verdict.status, `${entry.expect.kind}: ${entry.text.slice(0, 300)}`).toBe('rejected');
            expect(namesField(verdict.error?.issues, entry.expect.field), `${entry.expect.kind} must name ${entry.expect.field}: ${JSON.stringify(verdict.error)}`).toBe(true);
          }
        });
        hostilePayloads += bad.length;
        salePayloadRequests += 1;
      }),
      { numRuns: SALE_RUNS, endOnFailure: true },
    );
  });

  it('answers every hostile body with a 4xx naming the body or the field, in a request of its own', async () => {
    await fc.assert(
      fc.asyncProperty(hostileBody, async (payload) => {
        const { status, body } = await post(payload.bytes, payload.contentType);
        expect(status, payload.kind).toBeGreaterThanOrEqual(400);
        expect(status, payload.kind).toBeLessThan(500);
        const issues = body.error?.issues ?? body.results?.flatMap((verdict) => verdict.error?.issues ?? []);
        expect(namesField(issues, payload.field), `${payload.kind}: ${JSON.stringify(body).slice(0, 300)}`).toBe(true);
        hostilePayloads += 1;
      }),
      { numRuns: BODY_RUNS, endOnFailure: true },
    );
  });

  it('sent at least 10 000 hostile payloads, never answered 5xx, logged no error, still answers, and stored exactly the valid sales', async () => {
    expect(salePayloadRequests).toBe(SALE_RUNS);
    expect(hostilePayloads).toBeGreaterThanOrEqual(10_000);
    expect([...statuses.keys()].filter((status) => status >= 500)).toEqual([]);
    expect(logLines.filter((line) => line.level >= ERROR_LEVEL)).toEqual([]);
    expect((await fetch(`${store.url}/healthz`)).status).toBe(200);

    await store.close();
    const buffer = await DiskBuffer.open<SaleEvent>(dir);
    const stored = await buffer.readFrom(0, 1_000_000, 1024 * 1024 * 1024);
    await buffer.close();
    const receipts = stored.map((record) => record.payload.sale.receipt_no);
    expect(receipts.length).toBe(validReceipts.length);
    expect(new Set(receipts)).toEqual(new Set(validReceipts));
  });
});
