import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../warehouse/duckdb/index.ts';
import { silentLogger, testRunner } from '../testing/index.ts';
import { Backfills } from './backfill.ts';
import { defineJob } from './job.ts';
import type { EngineStores } from './stores.ts';

describe('Backfills', () => {
  let warehouse: DuckDbWarehouse;
  let stores: EngineStores;
  let ran: string[];

  const job = (failOn: string[] = [], delayMs = 0) =>
    defineJob({
      id: 'daily',
      schedule: '0 2 * * *',
      partition: 'business_date',
      tasks: {
        roll: {
          run: async ({ partition }) => {
            ran.push(partition);
            if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
            if (failOn.includes(partition)) throw new Error(`cannot roll ${partition}`);
            return 10;
          },
        },
      },
    });
  const backfills = (jobs = [job()], options: { leasedRetries?: number } = {}) =>
    new Backfills({ runner: testRunner({ resources: {}, stores, taskAttempts: 1 }), jobs, logger: silentLogger(), leasedRetryMs: 5, ...options });

  beforeEach(async () => {
    warehouse = await DuckDbWarehouse.open({ path: ':memory:' });
    await warehouse.migrate();
    stores = warehouse.engineStores();
    ran = [];
  });

  afterEach(async () => {
    await warehouse.close();
  });

  it('runs every date of the range once and reports progress to the end', async () => {
    const tracker = backfills();
    const started = tracker.start('daily', '2026-02-27', '2026-03-02');
    expect(started).toMatchObject({ status: 'running', total: 4, done: 0 });
    const done = await tracker.wait(started.backfill_id);
    expect(done).toMatchObject({ status: 'succeeded', total: 4, done: 4, succeeded: 4, failed: 0, skipped: 0, rows: 40, running: [], failures: [] });
    expect(done!.finished_at).not.toBeNull();
    expect(ran.sort()).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
  });

  it('runs partitions concurrently when asked, each still once', async () => {
    const tracker = backfills([job([], 30)]);
    const started = tracker.start('daily', '2026-03-01', '2026-03-06', 3);
    await new Promise((resolve) => setTimeout(resolve, 15));
    expect(tracker.get(started.backfill_id)!.running).toHaveLength(3);
    expect((await tracker.wait(started.backfill_id))!.succeeded).toBe(6);
    expect(ran.sort()).toEqual(['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06']);
  });

  it('keeps going past a failed partition and lists it', async () => {
    const tracker = backfills([job(['2026-03-02'])]);
    const done = await tracker.wait(tracker.start('daily', '2026-03-01', '2026-03-03').backfill_id);
    expect(done).toMatchObject({ status: 'failed', succeeded: 2, failed: 1, done: 3 });
    expect(done!.failures).toEqual([{ partition: '2026-03-02', error: expect.stringContaining('cannot roll 2026-03-02') }]);
  });

  it('stops starting partitions once cancelled', async () => {
    const tracker = backfills([job([], 20)]);
    const started = tracker.start('daily', '2026-03-01', '2026-03-31');
    await new Promise((resolve) => setTimeout(resolve, 30));
    tracker.cancel(started.backfill_id);
    const done = await tracker.wait(started.backfill_id);
    expect(done!.status).toBe('cancelled');
    expect(done!.done).toBeLessThan(31);
    expect(ran).toHaveLength(done!.done);
  });

  it('retries a partition another runner holds, and counts it skipped if it stays held', async () => {
    await stores.leases.acquire('daily', '2026-03-01', 'other-runner', 60_000, new Date());
    const tracker = backfills([job()], { leasedRetries: 2 });
    const done = await tracker.wait(tracker.start('daily', '2026-03-01', '2026-03-02').backfill_id);
    expect(done).toMatchObject({ status: 'failed', succeeded: 1, skipped: 1, failed: 0 });
    expect(ran).toEqual(['2026-03-02']);
  });

  it('runs a partition once its lease is freed during the retries', async () => {
    await stores.leases.acquire('daily', '2026-03-01', 'other-runner', 60_000, new Date());
    const tracker = backfills([job()], { leasedRetries: 5 });
    const started = tracker.start('daily', '2026-03-01', '2026-03-01');
    await new Promise((resolve) => setTimeout(resolve, 10));
    await stores.leases.release('daily', '2026-03-01', 'other-runner');
    expect(await tracker.wait(started.backfill_id)).toMatchObject({ status: 'succeeded', succeeded: 1 });
  });

  it('rejects an unknown job, a bad range and a bad concurrency before running anything', () => {
    const tracker = backfills();
    expect(() => tracker.start('nope', '2026-03-01', '2026-03-02')).toThrow(expect.objectContaining({ code: 'RS_ERR_UNKNOWN_JOB' }));
    expect(() => tracker.start('daily', '2026-03-02', '2026-03-01')).toThrow(expect.objectContaining({ code: 'RS_ERR_INVALID_PARTITION' }));
    expect(() => tracker.start('daily', '2026-03-01', '2026-03-01', 9)).toThrow(expect.objectContaining({ code: 'RS_ERR_INVALID_REQUEST' }));
    expect(ran).toEqual([]);
  });
});
