/**
 * What the DAG jobs need from a warehouse beyond the shared WarehousePort (libs/ports): the day's fact
 * totals and a home for per-store-day reconciliation results, plus the engine's own state. Both adapters
 * (DuckDB, ClickHouse) implement it, so the same job definitions run on either.
 */
import type { WarehousePort } from '@retail-sync/libs/ports';
import type { EngineStores } from '../engine/stores.ts';

/** One store's facts on one business day. */
export interface FactStoreDayTotals {
  store_id: string;
  currency: string;
  /** Distinct event_ids. */
  sales: number;
  /** receipt_total_minor summed unsigned (carried on line 1 only). */
  total_minor: number;
}

export type ReconcileStatus = 'match' | 'mismatch' | 'gap';

/** One row of reconcile_results (sql/<dialect>/migrations/0005_reconcile_results.sql documents each column). */
export interface ReconcileResultRow {
  business_date: string;
  store_id: string;
  currency: string;
  acked_high_water: number;
  first_seq: number;
  last_seq: number;
  order_sales: number;
  order_total_minor: number;
  warehouse_sales: number;
  warehouse_total_minor: number;
  seq_gaps: number;
  /** The first 100 gap seqs, comma separated ('' when none). */
  gap_seqs: string;
  status: ReconcileStatus;
  run_id: string;
  /** ISO instant (whole seconds on ClickHouse). */
  checked_at: string;
}

export interface DagWarehouse extends WarehousePort {
  /** Per store, the facts of one business day (reconciliation's warehouse side). */
  factTotalsForDate(businessDate: string): Promise<FactStoreDayTotals[]>;
  /** Replaces the day's reconcile_results with `rows` (all dated `businessDate`). Returns rows written. */
  replaceReconcileResults(businessDate: string, rows: ReconcileResultRow[]): Promise<number>;
  /** The day's reconcile_results, by store_id. */
  reconcileResults(businessDate: string): Promise<ReconcileResultRow[]>;
  /** Store-days not in 'match' and missing seqs over every reconciled day (the metric's source). */
  reconcileProblemTotals(): Promise<{ mismatched: number; gap_days: number; seq_gaps: number }>;
  /** Run history, partition leases and job state kept in this warehouse. */
  engineStores(): EngineStores;
}
