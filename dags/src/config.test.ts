import { describe, expect, it } from 'vitest';
import { loadDagsConfig } from './config.ts';

describe('loadDagsConfig', () => {
  it('applies the documented defaults, deriving the warehouse path from RS_DATA_DIR', () => {
    const config = loadDagsConfig({ RS_DATA_DIR: '/srv/rs' });
    expect(config).toMatchObject({
      RS_PROFILE: 'embedded',
      RS_DAGS_HOST: '127.0.0.1',
      RS_DAGS_PORT: 8001,
      RS_WAREHOUSE_PATH: '/srv/rs/warehouse/warehouse.duckdb',
      RS_DAG_TICK_CRON: '*/1 * * * *',
      RS_DAG_TASK_ATTEMPTS: 3,
      RS_DAG_RETRY_BACKOFF_MS: 500,
      RS_DAG_LEASE_TTL_MS: 60_000,
      RS_DAG_CATCHUP_MAX_DAYS: 31,
      RS_CLICKHOUSE_URL: 'http://127.0.0.1:18123',
      RS_CLICKHOUSE_DATABASE: 'retail_sync',
      RS_CLICKHOUSE_USER: 'default',
      RS_CLICKHOUSE_PASSWORD: '',
      RS_CLICKHOUSE_REQUEST_TIMEOUT_MS: 60_000,
    });
    expect(config.RS_DAG_RUNNER_ID).toMatch(new RegExp(`-${process.pid}$`));
  });

  it('accepts a seconds-level tick and an explicit warehouse path', () => {
    const config = loadDagsConfig({ RS_DAG_TICK_CRON: '*/5 * * * * *', RS_WAREHOUSE_PATH: ':memory:', RS_DAG_RUNNER_ID: 'replica-2' });
    expect(config).toMatchObject({ RS_DAG_TICK_CRON: '*/5 * * * * *', RS_WAREHOUSE_PATH: ':memory:', RS_DAG_RUNNER_ID: 'replica-2' });
  });

  it('names the bad key when a value is invalid', () => {
    expect(() => loadDagsConfig({ RS_DAG_TICK_CRON: 'every minute' })).toThrow(expect.objectContaining({ code: 'RS_ERR_CONFIG', message: expect.stringContaining('RS_DAG_TICK_CRON') }));
    expect(() => loadDagsConfig({ RS_DAG_TASK_ATTEMPTS: '0' })).toThrow(expect.objectContaining({ message: expect.stringContaining('RS_DAG_TASK_ATTEMPTS') }));
    expect(() => loadDagsConfig({ RS_CLICKHOUSE_DATABASE: 'x; DROP' })).toThrow(expect.objectContaining({ message: expect.stringContaining('RS_CLICKHOUSE_DATABASE') }));
    expect(() => loadDagsConfig({ RS_CLICKHOUSE_URL: 'localhost:8123' })).toThrow(expect.objectContaining({ message: expect.stringContaining('RS_CLICKHOUSE_URL') }));
  });
});
