/**
 * DuckDB warehouse adapter: WarehousePort on an embedded DuckDB file (the `npm start` profile), plus the
 * DAG engine's run history, leases and job state on the same file.
 */
export { DuckDbWarehouse } from './duckdb-warehouse.ts';
export { duckDbWarehouseOptionsSchema, type DuckDbWarehouseOptions } from './config.ts';
export { DuckDbJobStateStore, DuckDbPartitionLeases, DuckDbRunHistory } from './engine-stores.ts';
export { shouldRetry, toWarehouseError } from './should-retry.ts';
export { applyMigrations, readMigrations } from './migrations.ts';
