import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { storeConfig } from '../config.ts';
import { captureLogger } from '../testing/capture-logger.ts';
import { validSale } from '../testing/sale-factory.ts';
import type { SaleIntake, SaleResult } from './sale-intake.ts';
import { buildIntakeServer, type IntakeServerOptions, type StoreStatus } from './server.ts';

const WARN_LEVEL = 40;
const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

const healthyStatus: StoreStatus = {
  store_id: 'nyc-001',
  last_seq: 0,
  acked_seq: 0,
  buffered_records: 0,
  buffered_bytes: 0,
  quarantined: 0,
  oldest_unacked_at: null,
  buffer_state: 'open',
  buffer_fault: null,
  shipper: { endpoint: null, state: 'idle', last_error: null },
};

/** An intake server in front of an intake that counts the requests reaching it. */
function server(pressure: IntakeServerOptions['pressure']) {
  const { logger, lines } = captureLogger('info');
  const reached = { requests: 0 };
  const intake = {
    accept: async (sales: unknown[]): Promise<SaleResult[]> => {
      reached.requests += 1;
      return sales.map((_, index) => ({ index, status: 'accepted', event_id: 'e', seq: index + 1 }));
    },
  } as unknown as SaleIntake;
  const app = buildIntakeServer({ intake, status: () => healthyStatus, maxSalesPerRequest: 10, bodyLimitBytes: 1 << 20, logger, pressure });
  apps.push(app);
  const post = () => app.inject({ method: 'POST', url: '/v1/sales', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(validSale('R1')) });
  return { app, post, reached, lines };
}

describe('intake under pressure', () => {
  it('answers POST /v1/sales with 503 RS_ERR_OVERLOADED and Retry-After once the heap is past its limit, and still serves health', async () => {
    const { app, post, reached, lines } = server({ maxEventLoopDelayMs: 0, maxHeapUsedBytes: 1, sampleIntervalMs: 10 });
    // The first heap sample is taken one sample interval after start: until then nothing is known.
    const refused = await vi.waitFor(
      async () => {
        const response = await post();
        if (response.statusCode !== 503) throw new Error(`still ${response.statusCode}`);
        return response;
      },
      { timeout: 5_000, interval: 10 },
    );
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.json()).toMatchObject({ error: { code: 'RS_ERR_OVERLOADED' } });
    const requestsBefore = reached.requests;
    expect((await post()).statusCode).toBe(503);
    expect(reached.requests).toBe(requestsBefore); // refused before the intake saw it
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect(lines.filter((line) => line.level === WARN_LEVEL && line.msg.includes('under pressure'))).toHaveLength(1);
  });

  it('takes sales as usual with both checks off (0)', async () => {
    const { post, reached } = server({ maxEventLoopDelayMs: 0, maxHeapUsedBytes: 0, sampleIntervalMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 50)); // several sample intervals
    expect((await post()).statusCode).toBe(202);
    expect(reached.requests).toBe(1);
  });

  it('reads its limits from the store config, on by default and 0 to turn off', () => {
    expect(storeConfig({})).toMatchObject({ RS_STORE_MAX_EVENT_LOOP_DELAY_MS: 1000, RS_STORE_MAX_HEAP_USED_PERCENT: 90 });
    expect(storeConfig({ RS_STORE_MAX_EVENT_LOOP_DELAY_MS: '0', RS_STORE_MAX_HEAP_USED_PERCENT: '0' })).toMatchObject({ RS_STORE_MAX_EVENT_LOOP_DELAY_MS: 0, RS_STORE_MAX_HEAP_USED_PERCENT: 0 });
    expect(() => storeConfig({ RS_STORE_MAX_HEAP_USED_PERCENT: '101' })).toThrow(/RS_STORE_MAX_HEAP_USED_PERCENT/);
  });
});
