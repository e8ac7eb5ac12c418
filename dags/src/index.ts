/**
 * @retail-sync/dags: the DAG runner (scheduler, runner, jobs) and the warehouse adapters it lands
 * rollups in, plus reconciliation — the proof that nothing was lost or counted twice.
 */
export { startDagRunner, type DagRunner, type DagRunnerDeps } from './main.ts';
export { dagsConfigSchema, loadDagsConfig, type DagsConfig } from './config.ts';
export { dagsErrors, type DagsErrorCode } from './errors.ts';
export { reconcile, formatReconcileLine, type ReconcileInput, type ReconcileReport, type ReconcileStoreInput, type ReconcileTotals, type StoreReconciliation } from './jobs/reconcile.ts';
export {
  reconcileDay,
  formatReconcileDayLine,
  formatReconcileStoreLine,
  summarizeReconcileDay,
  type ReconcileDayInput,
  type ReconcileDaySummary,
} from './jobs/reconcile_daily.ts';
export { jobs, openResources, resourcesByProfile, type ExternalResources } from './definitions.ts';
export type { DagWarehouse, FactStoreDayTotals, ReconcileResultRow, ReconcileStatus } from './warehouse/dag-warehouse.ts';
export type { BackfillProgress } from './engine/backfill.ts';
export { DuckDbWarehouse, duckDbWarehouseOptionsSchema, type DuckDbWarehouseOptions } from './warehouse/duckdb/index.ts';
export { ROLLUP_NAMES, ANALYST_VIEWS } from './warehouse/rollups.ts';
export type { PartitionRun, TaskOutcome } from './engine/runner.ts';
