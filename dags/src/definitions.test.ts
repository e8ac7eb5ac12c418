import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadDagsConfig } from './config.ts';
import { jobs, openResources } from './definitions.ts';
import { JobRunner } from './engine/runner.ts';
import { InMemoryDeadLetters, InMemoryOrderStore, silentLogger } from './testing/index.ts';
import { ANALYST_VIEWS, ROLLUP_NAMES } from './warehouse/rollups.ts';

describe('definitions', () => {
  it('list jobs with unique ids, each in jobs/<id>.ts', () => {
    const ids = jobs.map((job) => job.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(existsSync(new URL(`./jobs/${id}.ts`, import.meta.url)), id).toBe(true);
  });

  it('open the embedded resources, migrated, and every job runs on them', async () => {
    const config = loadDagsConfig({ RS_WAREHOUSE_PATH: ':memory:' });
    const opened = await openResources(config, { orderStore: new InMemoryOrderStore(), deadLetters: new InMemoryDeadLetters() });
    try {
      expect(opened.warehouse.rollupNames()).toEqual([...ROLLUP_NAMES]);
      const views = await opened.warehouse.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW'");
      expect(views.map((view) => view.table_name).sort()).toEqual([...ANALYST_VIEWS].sort());
      const runner = new JobRunner({ runnerId: 'smoke', resources: opened.resources, stores: opened.engineStores, logger: silentLogger(), taskAttempts: 1, retryBackoffMs: 0, leaseTtlMs: 10_000 });
      for (const job of jobs) expect((await runner.runPartition(job, '2026-03-08')).status, job.id).toBe('succeeded');
    } finally {
      await opened.close();
    }
  });

  it('open the production profile on ClickHouse, failing retriably when the server is unreachable', async () => {
    const config = loadDagsConfig({ RS_PROFILE: 'production', RS_CLICKHOUSE_URL: 'http://127.0.0.1:1', RS_CLICKHOUSE_REQUEST_TIMEOUT_MS: '2000' });
    await expect(openResources(config, { orderStore: new InMemoryOrderStore(), deadLetters: new InMemoryDeadLetters() })).rejects.toMatchObject({ code: 'RS_ERR_DEPENDENCY_UNAVAILABLE', retriable: true });
  });
});
