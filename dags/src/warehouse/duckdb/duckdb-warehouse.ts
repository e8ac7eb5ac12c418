/**
 * WarehousePort on DuckDB (embedded profile). Every write replaces one business_date partition inside
 * one transaction (DELETE the day, INSERT it again), so a load or a rollup run twice leaves the same
 * rows and a reader never sees half a day. SQL comes from dags/sql/duckdb (migrations/, rollups/,
 * queries/); the engine's own state (run history, leases, job state) lives in the same file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmbeddedDb, type Row } from '@retail-sync/libs/embedded';
import type { FactSaleLine } from '@retail-sync/libs/ports';
import type { DuckDBValue } from '@duckdb/node-api';
import { dagsErrors } from '../../errors.ts';
import { assertBusinessDate } from '../../engine/partitions.ts';
import type { EngineStores } from '../../engine/stores.ts';
import type { DagWarehouse, FactStoreDayTotals, ReconcileResultRow } from '../dag-warehouse.ts';
import { isRollupName, ROLLUP_NAMES } from '../rollups.ts';
import { duckDbWarehouseOptionsSchema, type DuckDbWarehouseOptions, type ResolvedDuckDbWarehouseOptions } from './config.ts';
import { DuckDbJobStateStore, DuckDbPartitionLeases, DuckDbRunHistory } from './engine-stores.ts';
import { applyMigrations, readMigrations } from './migrations.ts';
import { toWarehouseError } from './should-retry.ts';

/** fact_sales_line columns and their SQL types. */
const FACT_COLUMNS: ReadonlyArray<readonly [keyof FactSaleLine, string]> = [
  ['event_id', 'VARCHAR'],
  ['store_id', 'VARCHAR'],
  ['seq', 'BIGINT'],
  ['line_no', 'INTEGER'],
  ['business_date', 'DATE'],
  ['business_hour', 'INTEGER'],
  ['occurred_at', 'TIMESTAMP'],
  ['region', 'VARCHAR'],
  ['timezone', 'VARCHAR'],
  ['currency', 'VARCHAR'],
  ['type', 'VARCHAR'],
  ['terminal_id', 'VARCHAR'],
  ['receipt_no', 'VARCHAR'],
  ['payment_method', 'VARCHAR'],
  ['customer_hash', 'VARCHAR'],
  ['sku', 'VARCHAR'],
  ['category', 'VARCHAR'],
  ['qty', 'INTEGER'],
  ['unit_price_minor', 'BIGINT'],
  ['discount_minor', 'BIGINT'],
  ['net_minor', 'BIGINT'],
  ['unit_cost_minor', 'BIGINT'],
  ['receipt_tax_minor', 'BIGINT'],
  ['receipt_total_minor', 'BIGINT'],
];

/**
 * Facts go in as one JSON array parameter per batch, unnested in SQL: one statement per few thousand
 * rows instead of one bound placeholder per value (about 100× faster on DuckDB). Dates and timestamps
 * travel as strings and are cast in SQL.
 */
const JSON_SHAPE = JSON.stringify([Object.fromEntries(FACT_COLUMNS.map(([column, type]) => [column, type === 'DATE' || type === 'TIMESTAMP' ? 'VARCHAR' : type]))]);
const INSERT_FACTS = `INSERT INTO fact_sales_line BY NAME
  SELECT ${FACT_COLUMNS.map(([column, type]) => (type === 'DATE' || type === 'TIMESTAMP' ? `CAST(r.${column} AS ${type}) AS ${column}` : `r.${column} AS ${column}`)).join(', ')}
  FROM (SELECT unnest(from_json($rows, '${JSON_SHAPE}')) AS r)`;

export class DuckDbWarehouse implements DagWarehouse {
  private readonly sqlFiles = new Map<string, string>();

  private constructor(
    private readonly db: EmbeddedDb,
    private readonly options: ResolvedDuckDbWarehouseOptions,
  ) {}

  /** Opens (or shares, within this process) the database file; call migrate() before use. */
  static async open(options: DuckDbWarehouseOptions = {}): Promise<DuckDbWarehouse> {
    const resolved = duckDbWarehouseOptionsSchema.parse(options);
    return new DuckDbWarehouse(await EmbeddedDb.acquire(resolved.path), resolved);
  }

  async migrate(): Promise<void> {
    await this.guard('migrate', () => applyMigrations(this.db, readMigrations(join(this.options.sqlDir, 'migrations'))));
  }

  async replaceFacts(businessDate: string, rows: FactSaleLine[]): Promise<number> {
    assertBusinessDate(businessDate);
    const stray = rows.find((row) => row.business_date !== businessDate);
    if (stray) {
      throw dagsErrors.create('RS_ERR_PARTITION_MISMATCH', `fact ${stray.event_id}#${stray.line_no} is dated ${stray.business_date}, not ${businessDate}`);
    }
    const batch = this.options.insertBatchRows;
    return this.guard(`replaceFacts ${businessDate}`, () =>
      this.db.transaction(async (tx) => {
        await tx.runUnqueued('DELETE FROM fact_sales_line WHERE business_date = CAST($business_date AS DATE)', { business_date: businessDate });
        for (let start = 0; start < rows.length; start += batch) {
          await tx.runUnqueued(INSERT_FACTS, { rows: JSON.stringify(rows.slice(start, start + batch).map(toJsonFact)) });
        }
        return rows.length;
      }),
    );
  }

  async runRollup(name: string, businessDate: string): Promise<number> {
    assertBusinessDate(businessDate);
    if (!isRollupName(name)) throw dagsErrors.create('RS_ERR_UNKNOWN_ROLLUP', `no rollup "${name}" (known: ${ROLLUP_NAMES.join(', ')})`);
    const select = this.sqlFile('rollups', `${name}.sql`);
    const params = { business_date: businessDate };
    return this.guard(`rollup ${name} ${businessDate}`, () =>
      this.db.transaction(async (tx) => {
        await tx.runUnqueued(`DELETE FROM ${name} WHERE business_date = CAST($business_date AS DATE)`, params);
        await tx.runUnqueued(`INSERT INTO ${name} BY NAME ${select}`, params);
        const [counted] = await tx.allUnqueued<{ rows: number }>(`SELECT count(*) AS rows FROM ${name} WHERE business_date = CAST($business_date AS DATE)`, params);
        return counted?.rows ?? 0;
      }),
    );
  }

  rollupNames(): string[] {
    return [...ROLLUP_NAMES];
  }

  async factSeqsForStore(storeId: string, fromSeq: number, toSeq: number): Promise<Array<{ seq: number; sales: number; total_minor: number }>> {
    const sql = this.sqlFile('queries', 'fact_seqs_for_store.sql');
    return this.guard(`factSeqsForStore ${storeId}`, () =>
      this.db.all<{ seq: number; sales: number; total_minor: number }>(sql, { store_id: storeId, from_seq: fromSeq, to_seq: toSeq }),
    );
  }

  async factTotalsForDate(businessDate: string): Promise<FactStoreDayTotals[]> {
    assertBusinessDate(businessDate);
    const sql = this.sqlFile('queries', 'fact_totals_for_date.sql');
    return this.guard(`factTotalsForDate ${businessDate}`, () => this.db.all<FactStoreDayTotals & Row>(sql, { business_date: businessDate }));
  }

  async replaceReconcileResults(businessDate: string, rows: ReconcileResultRow[]): Promise<number> {
    assertBusinessDate(businessDate);
    const stray = rows.find((row) => row.business_date !== businessDate);
    if (stray) throw dagsErrors.create('RS_ERR_PARTITION_MISMATCH', `reconcile result of ${stray.store_id} is dated ${stray.business_date}, not ${businessDate}`);
    return this.guard(`replaceReconcileResults ${businessDate}`, () =>
      this.db.transaction(async (tx) => {
        await tx.runUnqueued('DELETE FROM reconcile_results WHERE business_date = CAST($business_date AS DATE)', { business_date: businessDate });
        for (const row of rows) {
          await tx.runUnqueued(
            `INSERT INTO reconcile_results BY NAME SELECT CAST($business_date AS DATE) AS business_date, $store_id AS store_id, $currency AS currency,
               $acked_high_water AS acked_high_water, $first_seq AS first_seq, $last_seq AS last_seq, $order_sales AS order_sales,
               $order_total_minor AS order_total_minor, $warehouse_sales AS warehouse_sales, $warehouse_total_minor AS warehouse_total_minor,
               $seq_gaps AS seq_gaps, $gap_seqs AS gap_seqs, $status AS status, $run_id AS run_id, CAST($checked_at AS TIMESTAMP) AS checked_at`,
            { ...row, checked_at: new Date(row.checked_at).toISOString() },
          );
        }
        return rows.length;
      }),
    );
  }

  async reconcileResults(businessDate: string): Promise<ReconcileResultRow[]> {
    assertBusinessDate(businessDate);
    const rows = await this.guard(`reconcileResults ${businessDate}`, () =>
      this.db.all<ReconcileResultRow & Row>('SELECT * FROM reconcile_results WHERE business_date = CAST($business_date AS DATE) ORDER BY store_id', { business_date: businessDate }),
    );
    return rows.map((row) => ({ ...row, business_date: row.business_date.slice(0, 10) }));
  }

  async reconcileProblemTotals(): Promise<{ mismatched: number; gap_days: number; seq_gaps: number }> {
    const [totals] = await this.guard('reconcileProblemTotals', () =>
      this.db.all<{ mismatched: number; gap_days: number; seq_gaps: number }>(
        `SELECT CAST(count(*) FILTER (WHERE status = 'mismatch') AS BIGINT) AS mismatched,
                CAST(count(*) FILTER (WHERE seq_gaps > 0) AS BIGINT) AS gap_days,
                CAST(coalesce(sum(seq_gaps), 0) AS BIGINT) AS seq_gaps
         FROM reconcile_results`,
      ),
    );
    return totals ?? { mismatched: 0, gap_days: 0, seq_gaps: 0 };
  }

  async query<R extends Record<string, unknown>>(sql: string, params?: Record<string, unknown>): Promise<R[]> {
    return this.guard('query', () => this.db.all<R & Row>(sql, params as Record<string, DuckDBValue> | undefined));
  }

  /** Run history, partition leases and job state on this warehouse's file (tables from migration 0004). */
  engineStores(): EngineStores {
    return { history: new DuckDbRunHistory(this.db), leases: new DuckDbPartitionLeases(this.db), jobState: new DuckDbJobStateStore(this.db) };
  }

  async close(): Promise<void> {
    await this.db.release();
  }

  private sqlFile(folder: 'rollups' | 'queries', file: string): string {
    const key = `${folder}/${file}`;
    let sql = this.sqlFiles.get(key);
    if (sql === undefined) {
      sql = readFileSync(join(this.options.sqlDir, folder, file), 'utf8');
      this.sqlFiles.set(key, sql);
    }
    return sql;
  }

  private async guard<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toWarehouseError(error, what);
    }
  }
}

function toJsonFact(row: FactSaleLine): FactSaleLine {
  // TIMESTAMP has no zone: hand DuckDB the UTC instant, whatever offset the terminal sent.
  return { ...row, occurred_at: new Date(row.occurred_at).toISOString() };
}
