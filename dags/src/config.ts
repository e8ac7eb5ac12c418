/**
 * DAG runner configuration: one zod schema, keys are the env names. Every key is documented with its
 * default; `loadDagsConfig` derives the warehouse path from RS_DATA_DIR when it is not set. The
 * ClickHouse keys (production profile) come from the adapter's own config (warehouse/clickhouse/config.ts).
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { adminApiConfigShape, commonConfigShape, env, loadConfig } from '@retail-sync/libs/config';
import { Cron } from 'croner';
import { cassandraConfigShape } from '@retail-sync/libs/cassandra';
import { clickhouseConfigShape } from './warehouse/clickhouse/config.ts';

const cronPattern = z.string().refine(isCronPattern, { error: 'must be a cron pattern (5 fields, or 6 with seconds first)' });

function isCronPattern(pattern: string): boolean {
  try {
    new Cron(pattern, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}

export const dagsConfigSchema = z.object({
  ...commonConfigShape,
  ...adminApiConfigShape,
  /** Address the runner's HTTP (health, run history) binds to. Default 127.0.0.1. */
  RS_DAGS_HOST: env.string('127.0.0.1'),
  /** Port of the runner's HTTP. Default 8001 (0 = any free port). */
  RS_DAGS_PORT: env.port(8001),
  /** DuckDB warehouse file (embedded profile). Default `${RS_DATA_DIR}/warehouse/warehouse.duckdb`; ':memory:' for a throwaway one. */
  RS_WAREHOUSE_PATH: z.string().min(1).optional(),
  /** Scheduler tick: on each tick every job re-rolls its late-data partitions, and runs its full set when its own schedule is due. Default every minute '*\/1 * * * *'; a 6-field pattern ticks in seconds (demo: '*\/5 * * * * *'). */
  RS_DAG_TICK_CRON: cronPattern.default('*/1 * * * *'),
  /** Attempts per task before the run is failed (1 = no retry). Default 3. */
  RS_DAG_TASK_ATTEMPTS: env.int(3, 1, 20),
  /** Backoff before the 2nd attempt, doubled each further attempt (capped at 60 s). Default 500 ms. */
  RS_DAG_RETRY_BACKOFF_MS: env.int(500, 0, 60_000),
  /** How long a partition lease lasts without renewal; the runner renews it every third of this. Default 60000 ms. */
  RS_DAG_LEASE_TTL_MS: env.int(60_000, 1_000, 3_600_000),
  /** Most days a catch-up after downtime re-rolls (the most recent ones). Default 31. */
  RS_DAG_CATCHUP_MAX_DAYS: env.int(31, 1, 3_660),
  /** This runner's identity in leases and run history. Default `<hostname>-<pid>`. */
  RS_DAG_RUNNER_ID: z.string().min(1).optional(),
  ...clickhouseConfigShape,
  /** Cassandra connection of the production order store the jobs read (same keys as central's). */
  ...cassandraConfigShape,
});

export type DagsConfig = Omit<z.infer<typeof dagsConfigSchema>, 'RS_WAREHOUSE_PATH' | 'RS_DAG_RUNNER_ID'> & { RS_WAREHOUSE_PATH: string; RS_DAG_RUNNER_ID: string };

/** Reads and validates the runner's env; throws RS_ERR_CONFIG naming each bad key. */
export function loadDagsConfig(environment: NodeJS.ProcessEnv = process.env): DagsConfig {
  const parsed = loadConfig(dagsConfigSchema, environment, 'dags');
  return {
    ...parsed,
    RS_WAREHOUSE_PATH: parsed.RS_WAREHOUSE_PATH ?? join(parsed.RS_DATA_DIR, 'warehouse', 'warehouse.duckdb'),
    RS_DAG_RUNNER_ID: parsed.RS_DAG_RUNNER_ID ?? `${hostname()}-${process.pid}`,
  };
}
