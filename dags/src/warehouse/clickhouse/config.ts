/**
 * Settings of the ClickHouse warehouse adapter (production profile): the env keys merged into the dags
 * schema (`clickhouseConfigShape`), and the adapter's options with their defaults.
 */
import { fileURLToPath } from 'node:url';
import { env } from '@retail-sync/libs/config';
import { z } from 'zod';

/** A database name we can splice into DDL unquoted. */
const databaseName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*)' });

export const clickhouseConfigShape = {
  /** Default http://127.0.0.1:18123, the project's own server (scripts/services); a stock install listens on 8123. */
  RS_CLICKHOUSE_URL: z.string().regex(/^https?:\/\/\S+$/, { error: 'must be an http:// or https:// URL' }).default('http://127.0.0.1:18123'),
  /** Default retail_sync. Database holding facts, rollups, analyst views and the engine's state; created by migrate. */
  RS_CLICKHOUSE_DATABASE: databaseName.default('retail_sync'),
  /** Default default. ClickHouse user; it needs DDL rights on RS_CLICKHOUSE_DATABASE (migrations, staging tables). */
  RS_CLICKHOUSE_USER: env.string('default'),
  /** Default empty (no password). Password of RS_CLICKHOUSE_USER. */
  RS_CLICKHOUSE_PASSWORD: z.string().default(''),
  /** Default 60000. A request with no complete answer within this fails, and the task is retried. */
  RS_CLICKHOUSE_REQUEST_TIMEOUT_MS: env.int(60_000, 1_000, 3_600_000),
};

export type ClickHouseConfig = z.infer<z.ZodObject<typeof clickhouseConfigShape>>;

export const clickHouseWarehouseOptionsSchema = z.object({
  /** ClickHouse HTTP endpoint. Default http://127.0.0.1:18123. */
  url: clickhouseConfigShape.RS_CLICKHOUSE_URL,
  /** Database of the warehouse; created by migrate(). Default retail_sync. */
  database: clickhouseConfigShape.RS_CLICKHOUSE_DATABASE,
  /** Default 'default'. */
  username: z.string().min(1).default('default'),
  /** Default '' (none). */
  password: z.string().default(''),
  /** Per-request timeout. Default 60000 ms. */
  requestTimeoutMs: z.number().int().min(1_000).max(3_600_000).default(60_000),
  /** Folder holding migrations/, rollups/ and queries/ in ClickHouse's dialect. Default dags/sql/clickhouse. */
  sqlDir: z.string().min(1).default(fileURLToPath(new URL('../../../sql/clickhouse/', import.meta.url))),
  /** Fact rows per INSERT (one JSONEachRow request each). Default 20000. */
  insertBatchRows: z.number().int().min(1).max(1_000_000).default(20_000),
  /**
   * Lease settle time (Fischer's delay, see engine-stores.ts): a claimant waits this long after its claim
   * before deciding, and withdraws if its own read→insert took this long. Default 250 ms.
   */
  leaseSettleMs: z.number().int().min(10).max(60_000).default(250),
  /** Staging tables older than this are dropped by migrate() (left by a runner that crashed mid-write). Default 86400 s. */
  staleStagingSeconds: z.number().int().min(60).default(86_400),
});

export type ClickHouseWarehouseOptions = z.input<typeof clickHouseWarehouseOptionsSchema>;
export type ResolvedClickHouseWarehouseOptions = z.output<typeof clickHouseWarehouseOptionsSchema>;

/** The adapter's options from the dags env keys. */
export function clickHouseOptionsFromConfig(config: ClickHouseConfig): ClickHouseWarehouseOptions {
  return {
    url: config.RS_CLICKHOUSE_URL,
    database: config.RS_CLICKHOUSE_DATABASE,
    username: config.RS_CLICKHOUSE_USER,
    password: config.RS_CLICKHOUSE_PASSWORD,
    requestTimeoutMs: config.RS_CLICKHOUSE_REQUEST_TIMEOUT_MS,
  };
}
