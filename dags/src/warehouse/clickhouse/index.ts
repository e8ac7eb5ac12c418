/**
 * ClickHouse warehouse adapter: WarehousePort on ClickHouse over HTTP (the production profile; runs on
 * 18.16 and current releases), plus the DAG engine's run history, leases and job state in the same database.
 */
export { ClickHouseWarehouse } from './clickhouse-warehouse.ts';
export {
  clickhouseConfigShape,
  clickHouseOptionsFromConfig,
  clickHouseWarehouseOptionsSchema,
  type ClickHouseConfig,
  type ClickHouseWarehouseOptions,
} from './config.ts';
export { ClickHouseJobStateStore, ClickHousePartitionLeases, ClickHouseRunHistory } from './engine-stores.ts';
export { clickHouseErrorCode, shouldRetry, toWarehouseError } from './should-retry.ts';
export { applyMigrations, readMigrations, splitStatements } from './migrations.ts';
export { bindParams, quoteDate, quoteDateTime, quoteInteger, quoteString } from './sql-literals.ts';
