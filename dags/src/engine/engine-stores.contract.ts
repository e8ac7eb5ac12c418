/**
 * The engine-stores contract: run history, partition leases and job state, one suite every warehouse
 * that keeps the engine's state must pass (DuckDB in the unit tests, ClickHouse against the real server),
 * run once per adapter through a factory like the warehouse contract. A lease is granted to one racer
 * only, refused while live (even to its owner), handed over once expired; job state keeps milliseconds;
 * history lists newest first and filters by job and partition.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineStores } from './stores.ts';

const T0 = new Date('2026-03-10T00:00:00Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

export interface EngineStoresHandle {
  stores: EngineStores;
  close(): Promise<void>;
}

export function describeEngineStoresContract(name: string, factory: () => Promise<EngineStoresHandle>): void {
  describe(`engine stores contract: ${name}`, () => {
    let handle: EngineStoresHandle;
    let stores: EngineStores;

    beforeEach(async () => {
      handle = await factory();
      stores = handle.stores;
    });

    afterEach(async () => {
      await handle.close();
    });

    it('grants a free partition lease to exactly one of several racing owners', async () => {
      for (const partition of ['2026-03-01', '2026-03-02', '2026-03-03']) {
        const racers = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((owner) => stores.leases.acquire('job', partition, owner, 60_000, T0)));
        expect(racers.filter(Boolean), partition).toHaveLength(1);
      }
    });

    it('refuses a live lease, even to its own owner, and hands over an expired one', async () => {
      expect(await stores.leases.acquire('job', 'p', 'a', 1_000, T0)).toBe(true);
      expect(await stores.leases.acquire('job', 'p', 'a', 1_000, later(500))).toBe(false);
      expect(await stores.leases.acquire('job', 'p', 'b', 1_000, later(999))).toBe(false);
      expect(await stores.leases.acquire('job', 'p', 'b', 1_000, later(1_001))).toBe(true);
      expect(await stores.leases.renew('job', 'p', 'a', 1_000, later(1_002))).toBe(false);
    });

    it('renewal extends the lease and release frees it for others', async () => {
      await stores.leases.acquire('job', 'p', 'a', 1_000, T0);
      expect(await stores.leases.renew('job', 'p', 'a', 1_000, later(900))).toBe(true);
      expect(await stores.leases.acquire('job', 'p', 'b', 1_000, later(1_500))).toBe(false);
      await stores.leases.release('job', 'p', 'b'); // not b's: no effect
      expect(await stores.leases.acquire('job', 'p', 'b', 1_000, later(1_600))).toBe(false);
      await stores.leases.release('job', 'p', 'a');
      expect(await stores.leases.acquire('job', 'p', 'b', 1_000, later(1_700))).toBe(true);
    });

    it('keeps job state across saves, to the millisecond', async () => {
      expect(await stores.jobState.get('job')).toEqual({ job_id: 'job', dirty_watermark: null, last_scheduled_at: null });
      await stores.jobState.save({ job_id: 'job', dirty_watermark: '2026-03-10T01:00:00.123Z', last_scheduled_at: null });
      await stores.jobState.save({ job_id: 'job', dirty_watermark: '2026-03-10T02:00:00.456Z', last_scheduled_at: '2026-03-10T02:00:00.000Z' });
      expect(await stores.jobState.get('job')).toEqual({ job_id: 'job', dirty_watermark: '2026-03-10T02:00:00.456Z', last_scheduled_at: '2026-03-10T02:00:00.000Z' });
    });

    it('lists run history newest first, filtered by job and partition', async () => {
      const attempt = (job_id: string, partition: string, started_at: string) => ({
        run_id: 'r', job_id, partition, task: 't', status: 'succeeded' as const, attempt: 1, started_at, finished_at: started_at, rows: 1, error: null, runner_id: 'x',
      });
      await stores.history.record(attempt('a', '2026-03-01', '2026-03-10T00:00:00.001Z'));
      await stores.history.record(attempt('a', '2026-03-02', '2026-03-10T00:00:00.002Z'));
      await stores.history.record({ ...attempt('b', '2026-03-01', '2026-03-10T00:00:00.003Z'), rows: null, error: 'boom', status: 'failed' });
      expect((await stores.history.list({ jobId: 'a' })).map((row) => row.partition)).toEqual(['2026-03-02', '2026-03-01']);
      expect((await stores.history.list({ partition: '2026-03-01' })).map((row) => row.job_id)).toEqual(['b', 'a']);
      expect(await stores.history.list({ limit: 1 })).toEqual([{ ...attempt('b', '2026-03-01', '2026-03-10T00:00:00.003Z'), rows: null, error: 'boom', status: 'failed' }]);
    });
  });
}
