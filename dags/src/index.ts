/**
 * @retail-sync/dags: the DAG runner (scheduler, runner, jobs) and the warehouse adapters it lands
 * rollups in, plus reconciliation — the proof that nothing was lost or counted twice.
 */
export { startDagRunner, type DagRunner, type DagRunnerDeps } from './main.ts';
export { dagsConfigSchema, loadDagsConfig, type DagsConfig } from './config.ts';
export { dagsErrors, type DagsErrorCode } from './errors.ts';
export { reconcile, formatReconcileLine, type ReconcileInput, type ReconcileReport, type ReconcileStoreInput, type ReconcileTotals, type StoreReconciliation } from './jobs/reconcile.ts';
export { jobs, openResources, resourcesByProfile } from './definitions.ts';
export { DuckDbWarehouse, duckDbWarehouseOptionsSchema, type DuckDbWarehouseOptions } from './warehouse/duckdb/index.ts';
export { ROLLUP_NAMES, ANALYST_VIEWS } from './warehouse/rollups.ts';
export type { PartitionRun, TaskOutcome } from './engine/runner.ts';
