import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commonErrors } from '@retail-sync/libs/errors';
import { DuckDbWarehouse } from '../warehouse/duckdb/index.ts';
import { testRunner } from '../testing/index.ts';
import { defineJob } from './job.ts';
import type { EngineStores } from './stores.ts';

const DAY = '2026-03-08';

describe('JobRunner', () => {
  let warehouse: DuckDbWarehouse;
  let stores: EngineStores;

  beforeEach(async () => {
    warehouse = await DuckDbWarehouse.open({ path: ':memory:' });
    await warehouse.migrate();
    stores = warehouse.engineStores();
  });

  afterEach(async () => {
    await warehouse.close();
  });

  it('runs tasks in dependency order and passes the partition', async () => {
    const seen: string[] = [];
    const step = (name: string, deps: string[] = []) => ({ deps, run: async ({ partition }: { partition: string }) => (seen.push(`${name}@${partition}`), 1) });
    const job = defineJob({ id: 'ordered', schedule: '* * * * *', partition: 'business_date', tasks: { report: step('report', ['rollup']), rollup: step('rollup', ['load']), load: step('load') } });
    const run = await testRunner({ resources: {}, stores }).runPartition(job, DAY);
    expect(run.status).toBe('succeeded');
    expect(seen).toEqual([`load@${DAY}`, `rollup@${DAY}`, `report@${DAY}`]);
  });

  it('retries a failing task with backoff, then fails the run and does not run its dependants', async () => {
    const calls: Array<{ task: string; at: number }> = [];
    const job = defineJob({
      id: 'flaky',
      schedule: '* * * * *',
      partition: 'business_date',
      tasks: {
        load: { run: async () => (calls.push({ task: 'load', at: Date.now() }), 3) },
        broken: { deps: ['load'], run: async () => { calls.push({ task: 'broken', at: Date.now() }); throw new Error('warehouse hiccup'); } },
        after_broken: { deps: ['broken'], run: async () => (calls.push({ task: 'after_broken', at: Date.now() }), 1) },
        independent: { deps: ['load'], run: async () => (calls.push({ task: 'independent', at: Date.now() }), 2) },
      },
    });
    const run = await testRunner({ resources: {}, stores, taskAttempts: 3, retryBackoffMs: 20 }).runPartition(job, DAY);

    expect(run.status).toBe('failed');
    expect(run.error).toContain('RS_ERR_TASK_FAILED');
    const brokenCalls = calls.filter((call) => call.task === 'broken');
    expect(brokenCalls).toHaveLength(3);
    expect(brokenCalls[1]!.at - brokenCalls[0]!.at).toBeGreaterThanOrEqual(18);
    expect(brokenCalls[2]!.at - brokenCalls[1]!.at).toBeGreaterThanOrEqual(38); // doubled
    expect(calls.map((call) => call.task)).not.toContain('after_broken');
    expect(calls.map((call) => call.task)).toContain('independent');
    expect(run.tasks.map((task) => [task.task, task.status, task.attempts])).toEqual([
      ['load', 'succeeded', 1],
      ['broken', 'failed', 3],
      ['after_broken', 'skipped', 0],
      ['independent', 'succeeded', 1],
    ]);
  });

  it('does not retry an error that says it is not retriable', async () => {
    let calls = 0;
    const job = defineJob({
      id: 'bad_data',
      schedule: '* * * * *',
      partition: 'business_date',
      tasks: { load: { run: async () => { calls += 1; throw commonErrors.create('RS_ERR_INVALID_EVENT', 'qty must be positive'); } } },
    });
    const run = await testRunner({ resources: {}, stores, taskAttempts: 5 }).runPartition(job, DAY);
    expect(run.status).toBe('failed');
    expect(calls).toBe(1);
  });

  it('records every attempt in run history with status, attempt, rows, error and runner id', async () => {
    let attempt = 0;
    const job = defineJob({
      id: 'recorded',
      schedule: '* * * * *',
      partition: 'business_date',
      tasks: { load: { run: async () => { attempt += 1; if (attempt === 1) throw new Error('first try fails'); return 42; } } },
    });
    const run = await testRunner({ resources: {}, stores, runnerId: 'runner-a' }).runPartition(job, DAY);
    const history = await stores.history.list({ jobId: 'recorded' });
    expect(history.map(({ run_id, job_id, partition, task, status, attempt: n, rows, error, runner_id }) => ({ run_id, job_id, partition, task, status, attempt: n, rows, error, runner_id }))).toEqual([
      { run_id: run.run_id, job_id: 'recorded', partition: DAY, task: 'load', status: 'succeeded', attempt: 2, rows: 42, error: null, runner_id: 'runner-a' },
      { run_id: run.run_id, job_id: 'recorded', partition: DAY, task: 'load', status: 'retrying', attempt: 1, rows: null, error: 'first try fails', runner_id: 'runner-a' },
    ]);
    for (const entry of history) expect(Date.parse(entry.finished_at)).toBeGreaterThanOrEqual(Date.parse(entry.started_at));
  });

  it('rejects a partition that is not a business date', async () => {
    const job = defineJob({ id: 'dated', schedule: '* * * * *', partition: 'business_date', tasks: { load: { run: async () => 0 } } });
    await expect(testRunner({ resources: {}, stores }).runPartition(job, '2026-02-30')).rejects.toMatchObject({ code: 'RS_ERR_INVALID_PARTITION' });
    await expect(testRunner({ resources: {}, stores }).runPartition(job, '2026-13-01')).rejects.toMatchObject({ code: 'RS_ERR_INVALID_PARTITION' });
  });

  it('never lets two runners sharing one lease store run the same partition at the same time', async () => {
    const intervals: Array<{ runner: string; partition: string; start: number; end: number }> = [];
    const slowJob = (runner: string) =>
      defineJob({
        id: 'slow',
        schedule: '* * * * *',
        partition: 'business_date',
        tasks: {
          work: {
            run: async ({ partition }) => {
              const start = performance.now();
              await new Promise((resolve) => setTimeout(resolve, 60));
              intervals.push({ runner, partition, start, end: performance.now() });
              return 1;
            },
          },
        },
      });
    const partitions = ['2026-03-01', '2026-03-02', '2026-03-03'];
    const runnerA = testRunner({ resources: {}, stores, runnerId: 'replica-a' });
    const runnerB = testRunner({ resources: {}, stores: warehouse.engineStores(), runnerId: 'replica-b' });
    // Both replicas race for every partition, twice over, in opposite orders.
    const results = (
      await Promise.all([
        runnerA.runPartitions(slowJob('replica-a'), [...partitions, ...partitions]),
        runnerB.runPartitions(slowJob('replica-b'), [...partitions].reverse().concat([...partitions].reverse())),
        ...partitions.map((partition) => runnerB.runPartition(slowJob('replica-b'), partition)),
      ])
    ).flat();

    expect(results.some((run) => run.status === 'skipped' && run.error?.includes('leased'))).toBe(true);
    for (const partition of partitions) {
      const ran = intervals.filter((interval) => interval.partition === partition).sort((a, b) => a.start - b.start);
      expect(ran.length).toBeGreaterThan(0);
      for (let i = 1; i < ran.length; i += 1) expect(ran[i]!.start, `overlap on ${partition}`).toBeGreaterThanOrEqual(ran[i - 1]!.end);
    }
    expect(await warehouse.query('SELECT * FROM dag_leases')).toEqual([]);
  });
});
