import { describe, expect, it } from 'vitest';
import type { TaskAttemptRecord } from './engine/stores.ts';
import { Registry } from 'prom-client';
import { buildDagsHttp, summarizeRuns, type DagsHttpDeps } from './http.ts';

const unused = () => {
  throw new Error('unused');
};

/** Deps where nothing but what a test overrides is expected to be called. */
function deps(overrides: Partial<DagsHttpDeps> = {}): DagsHttpDeps {
  return {
    history: { record: async () => undefined, list: async () => [] },
    jobTasks: {},
    isReady: () => true,
    reconcile: unused,
    backfills: { start: unused, get: () => undefined, cancel: () => undefined },
    reconcileDay: { stored: unused, run: unused },
    metrics: new Registry(),
    ...overrides,
  };
}

const attempt = (run_id: string, task: string, status: TaskAttemptRecord['status'], at: string, n = 1): TaskAttemptRecord => ({
  run_id, job_id: 'sales_rollups', partition: '2026-03-01', task, status, attempt: n, started_at: at, finished_at: at, rows: null, error: null, runner_id: 'r',
});

describe('runner HTTP', () => {
  it('groups attempts into runs: failed, incomplete or succeeded', () => {
    const runs = summarizeRuns(
      [
        attempt('run-2', 'load', 'retrying', '2026-03-10T00:00:05Z'),
        attempt('run-1', 'b', 'failed', '2026-03-10T00:00:03Z', 2),
        attempt('run-1', 'b', 'retrying', '2026-03-10T00:00:02Z'),
        attempt('run-1', 'a', 'succeeded', '2026-03-10T00:00:01Z'),
        attempt('run-0', 'b', 'succeeded', '2026-03-09T00:00:02Z'),
        attempt('run-0', 'a', 'succeeded', '2026-03-09T00:00:01Z'),
      ],
      { sales_rollups: 2 },
    );
    expect(runs.map((run) => [run.run_id, run.status, run.tasks.length])).toEqual([
      ['run-2', 'incomplete', 1],
      ['run-1', 'failed', 3],
      ['run-0', 'succeeded', 2],
    ]);
    expect(runs[1]!.tasks.map((task) => task.task)).toEqual(['a', 'b', 'b']);
  });

  it('is not ready until told so, and rejects a bad limit with the field named', async () => {
    let ready = false;
    const app = buildDagsHttp({ ...deps(), isReady: () => ready });
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503);
    ready = true;
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    const bad = await app.inject({ url: '/v1/dags/runs?limit=0' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'RS_ERR_INVALID_REQUEST', details: { issues: [{ field: 'limit' }] } } });
    await app.close();
  });

  it('asks the warehouse on every readiness probe: 503 naming it while it fails or hangs, 200 once it answers', async () => {
    let warehouse: 'up' | 'down' | 'hanging' = 'down';
    const app = buildDagsHttp({
      ...deps(),
      readinessTimeoutMs: 50,
      readinessChecks: {
        warehouse: () => (warehouse === 'up' ? Promise.resolve([{ ok: 1 }]) : warehouse === 'down' ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:18123')) : new Promise(() => undefined)),
        order_store: async () => [],
      },
    });
    const down = await app.inject({ url: '/readyz' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({ status: 'not_ready', checks: { warehouse: 'connect ECONNREFUSED 127.0.0.1:18123', order_store: 'ok' } });
    warehouse = 'up';
    const up = await app.inject({ url: '/readyz' });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toEqual({ status: 'ready', checks: { warehouse: 'ok', order_store: 'ok' } });
    warehouse = 'hanging';
    expect((await app.inject({ url: '/readyz' })).json()).toMatchObject({ status: 'not_ready', checks: { warehouse: 'timed out after 50 ms' } });
    await app.close();
  });
});
