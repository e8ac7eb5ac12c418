/**
 * WarehousePort on ClickHouse (production profile). Every write replaces one business_date partition:
 * the rows go into a private staging copy of the target table (CREATE TABLE … AS target, same partition
 * key), then `ALTER TABLE target REPLACE PARTITION tuple(toDate('<date>')) FROM staging` swaps the whole
 * day in at once (18.16 and current ClickHouse both have it), and the staging table is dropped. So a task
 * run twice leaves the same rows, a reader sees the old day or the new day and never half of one, and two
 * runs of one day that overlap (a lost lease) still end with one run's complete rows, never a mix. SQL
 * comes from dags/sql/clickhouse (migrations/, rollups/, queries/) with `{name:Type}` placeholders bound
 * client-side (18.16 has no server-side query parameters: see sql-literals.ts). Results are meant to be
 * identical to the DuckDB adapter's for the same facts (the contract suite and the rollup expectations
 * prove it). Staging copies assume plain MergeTree tables (one server): CREATE TABLE … AS on a
 * Replicated table would copy its ZooKeeper path.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FactSaleLine } from '@retail-sync/libs/ports';
import type { EngineStores } from '../../engine/stores.ts';
import type { DagWarehouse, ReconcileResultRow } from '../dag-warehouse.ts';
import { assertFactsDated, assertResultsDated, SqlFileWarehouse } from '../sql-file-warehouse.ts';
import { ClickHouseSession, type Row } from './clickhouse-session.ts';
import { clickHouseWarehouseOptionsSchema, type ClickHouseWarehouseOptions, type ResolvedClickHouseWarehouseOptions } from './config.ts';
import { ClickHouseJobStateStore, ClickHousePartitionLeases, ClickHouseRunHistory } from './engine-stores.ts';
import { applyMigrations, readMigrations } from './migrations.ts';
import { quoteDate, toClickHouseDateTime } from './sql-literals.ts';
import { toWarehouseError } from './should-retry.ts';

/** Staging tables end in this plus 12 hex digits; migrate() drops stale ones. */
const STAGING_MARK = '__stage_';
/** Staging inserts are never deduplicated: on a Replicated table a repeated identical block would be dropped. */
const STAGING_INSERT_SETTINGS = { insert_deduplicate: 0 } as const;

export class ClickHouseWarehouse extends SqlFileWarehouse implements DagWarehouse {
  private readonly tableColumns = new Map<string, string[]>();

  private constructor(
    private readonly session: ClickHouseSession,
    private readonly options: ResolvedClickHouseWarehouseOptions,
  ) {
    super(options.sqlDir, toWarehouseError);
  }

  /** Creates the client (no request yet); call migrate() before use, it also creates the database. */
  static async open(options: ClickHouseWarehouseOptions = {}): Promise<ClickHouseWarehouse> {
    const resolved = clickHouseWarehouseOptionsSchema.parse(options);
    return new ClickHouseWarehouse(new ClickHouseSession(resolved), resolved);
  }

  async migrate(): Promise<void> {
    await this.guard('migrate', async () => {
      // The session names the database on every request, so it must exist before the session's first one.
      const bootstrap = new ClickHouseSession({ ...this.options, database: 'default' });
      try {
        await bootstrap.command(`CREATE DATABASE IF NOT EXISTS ${this.options.database}`);
      } finally {
        await bootstrap.close();
      }
      await applyMigrations(this.session, readMigrations(join(this.options.sqlDir, 'migrations')));
      await this.dropStaleStaging();
    });
  }

  async replaceFacts(businessDate: string, rows: FactSaleLine[]): Promise<number> {
    assertFactsDated(businessDate, rows);
    const batch = this.options.insertBatchRows;
    return this.guard(`replaceFacts ${businessDate}`, () =>
      this.replacePartition('fact_sales_line', businessDate, async (staging) => {
        for (let start = 0; start < rows.length; start += batch) {
          await this.session.insert(staging, rows.slice(start, start + batch).map(toClickHouseFact), STAGING_INSERT_SETTINGS);
        }
        return rows.length;
      }),
    );
  }

  async runRollup(name: string, businessDate: string): Promise<number> {
    const select = this.rollupSql(name, businessDate);
    return this.guard(`rollup ${name} ${businessDate}`, async () => {
      // INSERT … SELECT matches columns by position; naming them on both sides makes it by name, like DuckDB's BY NAME.
      const columns = (await this.columnsOf(name)).join(', ');
      return this.replacePartition(name, businessDate, async (staging) => {
        await this.session.command(`INSERT INTO ${staging} (${columns}) SELECT ${columns} FROM (${select})`, { business_date: businessDate }, STAGING_INSERT_SETTINGS);
        const [counted] = await this.session.rows<{ rows: number }>(`SELECT count() AS rows FROM ${staging}`);
        return counted?.rows ?? 0;
      });
    });
  }

  async replaceReconcileResults(businessDate: string, rows: ReconcileResultRow[]): Promise<number> {
    assertResultsDated(businessDate, rows);
    return this.guard(`replaceReconcileResults ${businessDate}`, () =>
      this.replacePartition('reconcile_results', businessDate, async (staging) => {
        await this.session.insert(staging, rows.map((row) => ({ ...row, checked_at: toClickHouseDateTime(new Date(row.checked_at)) })), STAGING_INSERT_SETTINGS);
        return rows.length;
      }),
    );
  }

  /** Run history, partition leases and job state in this warehouse's database (tables from migration 0004). */
  engineStores(): EngineStores {
    return {
      history: new ClickHouseRunHistory(this.session),
      leases: new ClickHousePartitionLeases(this.session, this.options.leaseSettleMs),
      jobState: new ClickHouseJobStateStore(this.session),
    };
  }

  async close(): Promise<void> {
    await this.session.close();
  }

  /** ClickHouse SQL; params bind to `{name:Type}` placeholders (String, Date, DateTime, [U]Int*, Nullable(…)). */
  protected rows<R extends Record<string, unknown>>(sql: string, params?: Record<string, unknown>): Promise<R[]> {
    return this.session.rows<R & Row>(sql, params);
  }

  /** Fills a fresh staging copy of `table` via `fill`, swaps its `businessDate` partition in, drops it. */
  private async replacePartition(table: string, businessDate: string, fill: (staging: string) => Promise<number>): Promise<number> {
    const staging = `${table}${STAGING_MARK}${randomBytes(6).toString('hex')}`;
    await this.session.command(`CREATE TABLE ${staging} AS ${table}`);
    try {
      const rows = await fill(staging);
      // The tuple(…) form of a partition expression is the one the ClickHouse docs define for every version.
      await this.session.command(`ALTER TABLE ${table} REPLACE PARTITION tuple(${quoteDate(businessDate)}) FROM ${staging}`);
      return rows;
    } finally {
      await this.session.command(`DROP TABLE IF EXISTS ${staging}`).catch(() => undefined);
    }
  }

  private async columnsOf(table: string): Promise<string[]> {
    let columns = this.tableColumns.get(table);
    if (columns === undefined) {
      columns = (await this.session.rows<{ name: string }>(`DESCRIBE TABLE ${table}`)).map((column) => column.name);
      this.tableColumns.set(table, columns);
    }
    return columns;
  }

  /** Staging tables of runs that died between CREATE and DROP; old enough that no live run still owns them. */
  private async dropStaleStaging(): Promise<void> {
    const stale = await this.session.rows<{ name: string }>(
      `SELECT name FROM system.tables
       WHERE database = currentDatabase() AND match(name, {pattern:String})
         AND metadata_modification_time < now() - {age:UInt32}`,
      { pattern: `${STAGING_MARK}[0-9a-f]{12}$`, age: this.options.staleStagingSeconds },
    );
    for (const { name } of stale) await this.session.command(`DROP TABLE IF EXISTS ${name}`);
  }
}

/** occurred_at as DateTime('UTC') text (whole seconds): 18.16's basic input format takes no 'T…Z'. */
function toClickHouseFact(row: FactSaleLine): Row {
  return { ...row, occurred_at: toClickHouseDateTime(new Date(row.occurred_at)) };
}
