import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isEventId } from '@retail-sync/libs/domain';
import { storeConfig, type StoreConfig } from '../config.ts';
import { startStore, type RunningStore } from '../store.ts';
import { captureLogger, makeTempDir } from '../testing/capture-logger.ts';
import { validSale } from '../testing/sale-factory.ts';

let dir: string;
let cleanup: () => Promise<void>;
const stores: RunningStore[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('intake'));
});

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  await cleanup();
});

function config(overrides: Partial<Record<keyof StoreConfig, unknown>> = {}): StoreConfig {
  return storeConfig({ RS_STORE_ID: 'nyc-001', RS_STORE_PORT: 0, RS_STORE_DATA_DIR: dir, ...overrides });
}

async function start(overrides: Partial<Record<keyof StoreConfig, unknown>> = {}): Promise<RunningStore> {
  const store = await startStore(config(overrides), { logger: captureLogger('silent').logger, ship: false });
  stores.push(store);
  return store;
}

async function post(store: RunningStore, body: unknown, raw = false) {
  const response = await fetch(`${store.url}/v1/sales`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ? (body as string) : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { results?: Record<string, unknown>[]; error?: Record<string, unknown> } };
}

describe('intake POST /v1/sales', () => {
  it('accepts one sale with 202, a UUIDv7 event_id and seq 1', async () => {
    const store = await start();
    const { status, body } = await post(store, validSale('R1'));
    expect(status).toBe(202);
    expect(body.results).toEqual([{ index: 0, status: 'accepted', event_id: expect.any(String), seq: 1 }]);
    expect(isEventId(body.results![0]!.event_id as string)).toBe(true);
    expect(store.status()).toMatchObject({ store_id: 'nyc-001', last_seq: 1, buffered_records: 1 });
  });

  it('keeps the valid sales of a batch and names the field of the invalid one', async () => {
    const store = await start();
    const bad = validSale('R2');
    bad.lines[0]!.unit_price_minor = 1.5;
    const { status, body } = await post(store, { sales: [validSale('R1'), bad, validSale('R3')] });
    expect(status).toBe(202);
    expect(body.results!.map((result) => result.status)).toEqual(['accepted', 'rejected', 'accepted']);
    expect(body.results!.map((result) => result.seq)).toEqual([1, undefined, 2]);
    const rejection = body.results![1] as { error: { code: string; issues: { field: string }[] } };
    expect(rejection.error.code).toBe('RS_ERR_INVALID_EVENT');
    expect(rejection.error.issues.map((issue) => issue.field)).toContain('lines.0.unit_price_minor');
  });

  it("rejects a sale carrying another store's id and answers 400 when nothing was stored", async () => {
    const store = await start();
    const { status, body } = await post(store, { sales: [{ ...validSale('R1'), store_id: 'bos-001' }] });
    expect(status).toBe(400);
    expect(body.results).toEqual([
      { index: 0, status: 'rejected', error: { code: 'RS_ERR_STORE_MISMATCH', issues: [{ field: 'store_id', rule: expect.stringContaining('nyc-001') }] } },
    ]);
    expect(store.status().last_seq).toBe(0);
  });

  it('fills in its own store id when the sale carries it or omits it', async () => {
    const store = await start();
    const { body } = await post(store, { sales: [{ ...validSale('R1'), store_id: 'nyc-001' }, validSale('R2')] });
    expect(body.results!.map((result) => result.status)).toEqual(['accepted', 'accepted']);
  });

  it('answers a POS retry with the original event_id and seq and appends nothing', async () => {
    const store = await start();
    const first = await post(store, validSale('R1'));
    const retry = await post(store, validSale('R1'));
    expect(retry.status).toBe(202);
    expect(retry.body.results).toEqual([{ index: 0, status: 'duplicate', event_id: first.body.results![0]!.event_id, seq: 1 }]);
    expect(store.status().last_seq).toBe(1);
    // Same receipt number, other type (a void of it) is a different event.
    const voided = await post(store, validSale('R1', { type: 'void', original_receipt_no: 'R1' }));
    expect(voided.body.results![0]).toMatchObject({ status: 'accepted', seq: 2 });
  });

  it('treats a receipt repeated inside one batch as a duplicate of its first copy', async () => {
    const store = await start();
    const { body } = await post(store, { sales: [validSale('R1'), validSale('R1')] });
    expect(body.results![1]).toEqual({ index: 1, status: 'duplicate', event_id: body.results![0]!.event_id, seq: 1 });
    expect(store.status().last_seq).toBe(1);
  });

  it('still recognises a POS retry after the store restarts', async () => {
    const store = await start();
    const first = await post(store, validSale('R1'));
    await store.close();
    const restarted = await start();
    const retry = await post(restarted, validSale('R1'));
    expect(retry.body.results).toEqual([{ index: 0, status: 'duplicate', event_id: first.body.results![0]!.event_id, seq: 1 }]);
    const next = await post(restarted, validSale('R2'));
    expect(next.body.results![0]).toMatchObject({ status: 'accepted', seq: 2 });
  });

  it('answers 503 with Retry-After when the buffer is full, and stores nothing of that request', async () => {
    const store = await start({ RS_BUFFER_SEGMENT_BYTES: 64 * 1024, RS_BUFFER_MAX_BYTES: 256 * 1024 });
    let receipt = 0;
    let response;
    do {
      response = await post(store, { sales: Array.from({ length: 100 }, () => validSale(`R${++receipt}`)) });
    } while (response.status === 202 && receipt < 10_000);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(response.body.error).toMatchObject({ code: 'RS_ERR_BUFFER_FULL' });
    expect(store.status().last_seq).toBe(receipt - 100);
    expect(response.body.results).toBeUndefined();
    // The refused receipts were not reserved: a retry of one is never answered "duplicate".
    const again = await post(store, validSale(`R${receipt}`));
    expect(JSON.stringify(again.body)).not.toContain('duplicate');
  });

  it('answers 400 RS_ERR_BAD_BODY naming (body) or sales for a body that is not JSON or not an object', async () => {
    const store = await start();
    for (const body of ['', '{"sales": [', '[1,2]', '"text"', 'null']) {
      const response = await post(store, body, true);
      expect(response.status, body).toBe(400);
      expect(response.body.error).toMatchObject({ code: 'RS_ERR_BAD_BODY', issues: [{ field: '(body)', rule: expect.any(String) }] });
    }
    for (const body of ['{"sales": []}', '{"sales": 3}']) {
      const response = await post(store, body, true);
      expect(response.status, body).toBe(400);
      expect(response.body.error).toMatchObject({ code: 'RS_ERR_BAD_BODY', issues: [{ field: 'sales', rule: expect.any(String) }] });
    }
  });

  it('answers 415 naming (body) for anything but application/json in UTF-8, so a web page cannot post sales without a CORS preflight', async () => {
    const store = await start();
    const body = JSON.stringify(validSale('R1'));
    for (const contentType of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1']) {
      const response = await fetch(`${store.url}/v1/sales`, { method: 'POST', headers: { 'content-type': contentType }, body });
      expect(response.status, contentType).toBe(415);
      expect(await response.json()).toMatchObject({ error: { code: 'RS_ERR_UNSUPPORTED_MEDIA_TYPE', issues: [{ field: '(body)', rule: expect.stringContaining('application/json') }] } });
    }
    expect(store.status().last_seq).toBe(0);
  });

  it('rejects a sale that repeats a key, naming the key, and keeps its neighbours', async () => {
    const store = await start();
    const twice = JSON.stringify(validSale('R2')).replace('"total_minor":', '"total_minor":1,"total_minor":');
    const { status, body } = await post(store, `{"sales":[${JSON.stringify(validSale('R1'))},${twice}]}`, true);
    expect(status).toBe(202);
    expect(body.results!.map((result) => result.status)).toEqual(['accepted', 'rejected']);
    expect(body.results![1]).toMatchObject({ error: { code: 'RS_ERR_INVALID_EVENT', issues: [{ field: 'total_minor', rule: expect.stringContaining('duplicate key') }] } });
  });

  it('answers 429 naming the rule once a terminal exceeds its request rate, and counts terminals apart', async () => {
    const store = await start({ RS_INTAKE_RATE_LIMIT_MAX: 2, RS_INTAKE_RATE_LIMIT_WINDOW_MS: 60_000 });
    const send = (terminal: string, receipt: string) =>
      fetch(`${store.url}/v1/sales`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-terminal-id': terminal }, body: JSON.stringify(validSale(receipt)) });
    expect((await send('pos-1', 'R1')).status).toBe(202);
    expect((await send('pos-1', 'R2')).status).toBe(202);
    const limited = await send('pos-1', 'R3');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await limited.json()).toMatchObject({ error: { code: 'RS_ERR_RATE_LIMITED', issues: [{ field: '(request)', rule: expect.stringContaining('at most 2 requests') }] } });
    expect((await send('pos-2', 'R4')).status).toBe(202);
    expect(store.status().last_seq).toBe(3);
  });

  it('answers 413 for more sales than one request may carry', async () => {
    const store = await start({ RS_INTAKE_MAX_SALES_PER_REQUEST: 2 });
    const response = await post(store, { sales: [validSale('R1'), validSale('R2'), validSale('R3')] });
    expect(response.status).toBe(413);
    expect(response.body.error).toMatchObject({ code: 'RS_ERR_BATCH_TOO_LARGE' });
  });

  it('rejects a sale that is not an object without failing the batch', async () => {
    const store = await start();
    const { status, body } = await post(store, { sales: [42, validSale('R1')] });
    expect(status).toBe(202);
    expect(body.results![0]).toMatchObject({ status: 'rejected', error: { code: 'RS_ERR_INVALID_EVENT' } });
  });
});

describe('intake health and status', () => {
  it('answers /healthz, /readyz and /v1/status', async () => {
    const store = await start();
    await post(store, validSale('R1'));
    expect((await fetch(`${store.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${store.url}/readyz`)).status).toBe(200);
    const status = (await (await fetch(`${store.url}/v1/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({
      store_id: 'nyc-001',
      last_seq: 1,
      acked_seq: 0,
      buffered_records: 1,
      quarantined: 0,
      shipper: { state: 'idle', last_error: null },
    });
    expect(status.buffered_bytes).toBeGreaterThan(0);
  });
});
