/**
 * What the DuckDB and ClickHouse warehouses share, so the two cannot drift apart: the SQL files each
 * reads from its dialect's folder (dags/sql/<dialect>/rollups and queries, cached once read), the checks
 * a write makes before it touches a partition, errors wrapped with what failed, and every read that is
 * one SQL file. A subclass says how a statement runs (`rows`) and how a day is replaced, which is where
 * the engines really differ: a DuckDB transaction against a ClickHouse staging table and REPLACE PARTITION.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FactSaleLine } from '@retail-sync/libs/ports';
import { dagsErrors } from '../errors.ts';
import { assertBusinessDate } from '../engine/partitions.ts';
import type { FactStoreDayTotals, ReconcileResultRow } from './dag-warehouse.ts';
import { isRollupName, ROLLUP_NAMES } from './rollups.ts';

type Params = Record<string, unknown>;

export abstract class SqlFileWarehouse {
  private readonly sqlFiles = new Map<string, string>();

  protected constructor(
    private readonly sqlDir: string,
    /** The adapter's error mapping: a retriable RS_ERR_WAREHOUSE_* naming `what`, or the error as it is. */
    private readonly toWarehouseError: (error: unknown, what: string) => unknown,
  ) {}

  /** Runs one statement of this dialect and returns its rows. */
  protected abstract rows<R extends Record<string, unknown>>(sql: string, params?: Params): Promise<R[]>;

  rollupNames(): string[] {
    return [...ROLLUP_NAMES];
  }

  async factSeqsForStore(storeId: string, fromSeq: number, toSeq: number): Promise<Array<{ seq: number; sales: number; total_minor: number }>> {
    const sql = this.sqlFile('queries', 'fact_seqs_for_store.sql');
    return this.guard(`factSeqsForStore ${storeId}`, () => this.rows<{ seq: number; sales: number; total_minor: number }>(sql, { store_id: storeId, from_seq: fromSeq, to_seq: toSeq }));
  }

  async factTotalsForDate(businessDate: string): Promise<FactStoreDayTotals[]> {
    assertBusinessDate(businessDate);
    const sql = this.sqlFile('queries', 'fact_totals_for_date.sql');
    return this.guard(`factTotalsForDate ${businessDate}`, () => this.rows<FactStoreDayTotals & Params>(sql, { business_date: businessDate }));
  }

  async reconcileResults(businessDate: string): Promise<ReconcileResultRow[]> {
    assertBusinessDate(businessDate);
    const sql = this.sqlFile('queries', 'reconcile_results_for_date.sql');
    const rows = await this.guard(`reconcileResults ${businessDate}`, () => this.rows<ReconcileResultRow & Params>(sql, { business_date: businessDate }));
    return rows.map((row) => ({ ...row, business_date: row.business_date.slice(0, 10) }));
  }

  async reconcileProblemTotals(): Promise<{ mismatched: number; gap_days: number; seq_gaps: number }> {
    const sql = this.sqlFile('queries', 'reconcile_problem_totals.sql');
    const [totals] = await this.guard('reconcileProblemTotals', () => this.rows<{ mismatched: unknown; gap_days: unknown; seq_gaps: unknown }>(sql));
    return { mismatched: Number(totals?.mismatched ?? 0), gap_days: Number(totals?.gap_days ?? 0), seq_gaps: Number(totals?.seq_gaps ?? 0) };
  }

  /** SQL in this warehouse's dialect (placeholders as in its queries/ files). */
  async query<R extends Record<string, unknown>>(sql: string, params?: Params): Promise<R[]> {
    return this.guard('query', () => this.rows<R>(sql, params));
  }

  /** The rollup's SELECT (rollups/<name>.sql), or RS_ERR_UNKNOWN_ROLLUP. */
  protected rollupSql(name: string, businessDate: string): string {
    assertBusinessDate(businessDate);
    if (!isRollupName(name)) throw dagsErrors.create('RS_ERR_UNKNOWN_ROLLUP', `no rollup "${name}" (known: ${ROLLUP_NAMES.join(', ')})`);
    return this.sqlFile('rollups', `${name}.sql`);
  }

  protected sqlFile(folder: 'rollups' | 'queries', file: string): string {
    const key = `${folder}/${file}`;
    let sql = this.sqlFiles.get(key);
    if (sql === undefined) {
      sql = readFileSync(join(this.sqlDir, folder, file), 'utf8');
      this.sqlFiles.set(key, sql);
    }
    return sql;
  }

  protected async guard<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.toWarehouseError(error, what);
    }
  }
}

/** A fact load holds one business day: a row of another day would be written into the wrong partition. */
export function assertFactsDated(businessDate: string, rows: FactSaleLine[]): void {
  assertBusinessDate(businessDate);
  const stray = rows.find((row) => row.business_date !== businessDate);
  if (stray) throw dagsErrors.create('RS_ERR_PARTITION_MISMATCH', `fact ${stray.event_id}#${stray.line_no} is dated ${stray.business_date}, not ${businessDate}`);
}

/** The same for a day's reconcile results. */
export function assertResultsDated(businessDate: string, rows: ReconcileResultRow[]): void {
  assertBusinessDate(businessDate);
  const stray = rows.find((row) => row.business_date !== businessDate);
  if (stray) throw dagsErrors.create('RS_ERR_PARTITION_MISMATCH', `reconcile result of ${stray.store_id} is dated ${stray.business_date}, not ${businessDate}`);
}
