import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../warehouse/duckdb/index.ts';
import { InMemoryOrderStore, nyc, silentLogger, storedSale, testRunner } from '../testing/index.ts';
import { defineJob } from './job.ts';
import { Scheduler } from './scheduler.ts';

const line = { sku: 'SKU-A', category: 'grocery', qty: 1, unit_price_minor: 500, unit_cost_minor: 300 };
/** A NYC sale at noon local time on `date`. */
const saleOn = (date: string, seq: number) => storedSale({ store: nyc, seq, occurred_at: `${date}T16:00:00Z`, lines: [line] });

describe('Scheduler', () => {
  let warehouse: DuckDbWarehouse;
  let orderStore: InMemoryOrderStore;
  let now: Date;
  let ran: string[];
  let failOn: Set<string>;
  let scheduler: Scheduler<object>;

  const at = (iso: string) => {
    now = new Date(iso);
  };

  beforeEach(async () => {
    warehouse = await DuckDbWarehouse.open({ path: ':memory:' });
    await warehouse.migrate();
    now = new Date('2026-03-10T02:00:00Z');
    orderStore = new InMemoryOrderStore(() => now);
    ran = [];
    failOn = new Set();
    const job = defineJob({
      id: 'daily',
      schedule: '0 2 * * *', // full re-roll daily at 02:00 UTC
      partition: 'business_date',
      tasks: {
        roll: {
          run: async ({ partition }) => {
            ran.push(partition);
            if (failOn.has(partition)) throw new Error(`cannot roll ${partition}`);
            return 1;
          },
        },
      },
    });
    const stores = warehouse.engineStores();
    scheduler = new Scheduler({
      jobs: [job],
      runner: testRunner({ resources: {}, stores, taskAttempts: 1 }),
      orderStore,
      jobState: stores.jobState,
      logger: silentLogger(),
      catchupMaxDays: 31,
      watermarkOverlapMs: 0,
      clock: () => now,
    });
  });

  afterEach(async () => {
    await scheduler.stop();
    await warehouse.close();
  });

  it('first tick rolls every date with data, plus yesterday and today', async () => {
    await orderStore.putSales([saleOn('2026-02-20', 1), saleOn('2026-03-01', 2)]);
    await scheduler.tick();
    expect(ran).toEqual(['2026-02-20', '2026-03-01', '2026-03-09', '2026-03-10']);
  });

  it('re-rolls only the date a late sale touched when the schedule is not due', async () => {
    await scheduler.tick();
    ran = [];
    at('2026-03-10T09:00:00Z');
    await orderStore.putSales([saleOn('2026-02-27', 7)]);
    at('2026-03-10T09:01:00Z');
    await scheduler.tick();
    expect(ran).toEqual(['2026-02-27']);

    ran = [];
    at('2026-03-10T09:02:00Z');
    await scheduler.tick();
    expect(ran).toEqual([]);
  });

  it('after a 3-day gap catches up each missed partition exactly once', async () => {
    await scheduler.tick();
    ran = [];
    // Down from the 10th to the 13th; sales kept arriving for the 11th and 12th meanwhile.
    at('2026-03-11T18:00:00Z');
    await orderStore.putSales([saleOn('2026-03-11', 1), saleOn('2026-03-12', 2)]);
    at('2026-03-13T02:30:00Z');
    await scheduler.tick();
    expect(ran).toEqual(['2026-03-10', '2026-03-11', '2026-03-12', '2026-03-13']);
  });

  it('keeps the watermark when a partition fails, so the next tick retries it', async () => {
    await scheduler.tick();
    at('2026-03-10T10:00:00Z');
    await orderStore.putSales([saleOn('2026-03-05', 3)]);
    failOn.add('2026-03-05');
    ran = [];
    at('2026-03-10T10:01:00Z');
    const runs = await scheduler.tick();
    expect(runs.map((run) => run.status)).toEqual(['failed']);

    failOn.clear();
    ran = [];
    at('2026-03-10T10:02:00Z');
    await scheduler.tick();
    expect(ran).toEqual(['2026-03-05']);
  });

  it('backfills a range by running each partition once, leaving the watermark alone', async () => {
    const runs = await scheduler.backfill('daily', '2026-02-26', '2026-03-02');
    expect(ran).toEqual(['2026-02-26', '2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    expect(runs.every((run) => run.status === 'succeeded')).toBe(true);
    expect(await warehouse.engineStores().jobState.get('daily')).toEqual({ job_id: 'daily', dirty_watermark: null, last_scheduled_at: null });
  });

  it('rejects an unknown job and an inverted range', async () => {
    await expect(scheduler.backfill('nope', '2026-03-01', '2026-03-02')).rejects.toMatchObject({ code: 'RS_ERR_UNKNOWN_JOB' });
    await expect(scheduler.backfill('daily', '2026-03-02', '2026-03-01')).rejects.toMatchObject({ code: 'RS_ERR_INVALID_PARTITION' });
    expect(ran).toEqual([]);
  });

  it('runs requested partitions once each, in date order', async () => {
    await scheduler.runPartitions('daily', ['2026-03-03', '2026-03-01', '2026-03-03']);
    expect(ran).toEqual(['2026-03-01', '2026-03-03']);
  });

  it('never runs two ticks at once: the second starts after the first saved its watermark', async () => {
    await orderStore.putSales([saleOn('2026-03-01', 1)]);
    const [first, second] = await Promise.all([scheduler.tick(), scheduler.tick()]);
    expect(first.map((run) => run.partition)).toEqual(['2026-03-01', '2026-03-09', '2026-03-10']);
    expect(second).toEqual([]);
  });

  it('runs a job that follows another on the partitions that job just ran successfully, after it', async () => {
    const order: string[] = [];
    const follower = defineJob({
      id: 'check',
      schedule: '0 3 1 1 *', // due on 1 January only: in this test it runs only what it follows
      partition: 'business_date',
      after: 'daily',
      tasks: { verify: { run: async ({ partition }) => (order.push(`check ${partition}`), 1) } },
    });
    const stores = warehouse.engineStores();
    const base = scheduler.job('daily');
    const traced = defineJob<object>({ ...base, tasks: { roll: { run: async (ctx) => (order.push(`daily ${ctx.partition}`), base.tasks.roll!.run(ctx)) } } });
    const chained = new Scheduler({ jobs: [traced, follower], runner: testRunner({ resources: {}, stores, taskAttempts: 1 }), orderStore, jobState: stores.jobState, logger: silentLogger(), catchupMaxDays: 31, watermarkOverlapMs: 0, clock: () => now });
    await chained.tick();
    order.length = 0;
    // The next day daily's schedule is due (yesterday and today), check's is not; no new sales.
    at('2026-03-11T02:00:00Z');
    failOn.add('2026-03-11');
    await chained.tick();
    expect(order).toEqual(['daily 2026-03-10', 'daily 2026-03-11', 'check 2026-03-10']);
  });

  it('refuses a job that follows a job not listed before it', () => {
    const follower = defineJob({ id: 'check', schedule: '0 3 * * *', partition: 'business_date', after: 'daily', tasks: { verify: { run: async () => 1 } } });
    const stores = warehouse.engineStores();
    expect(() => new Scheduler({ jobs: [follower, scheduler.job('daily')], runner: testRunner({ resources: {}, stores }), orderStore, jobState: stores.jobState, logger: silentLogger(), catchupMaxDays: 31 })).toThrow(
      expect.objectContaining({ code: 'RS_ERR_JOB_DEFINITION' }),
    );
  });
});
