/**
 * The resources every job receives under fixed keys (Dagster's resource model): definitions.ts binds
 * them per profile — DuckDB locally, ClickHouse in production — and the job code never changes.
 */
import type { OrderStorePort, WarehousePort } from '@retail-sync/libs/ports';

export interface DagResources {
  warehouse: WarehousePort;
  orderStore: OrderStorePort;
}
