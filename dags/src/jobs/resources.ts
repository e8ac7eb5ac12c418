/**
 * The resources every job receives under fixed keys (Dagster's resource model): definitions.ts binds
 * them per profile — DuckDB locally, ClickHouse in production — and the job code never changes.
 */
import type { DeadLetterPort, OrderStorePort } from '@retail-sync/libs/ports';
import type { DagWarehouse } from '../warehouse/dag-warehouse.ts';

export interface DagResources {
  warehouse: DagWarehouse;
  orderStore: OrderStorePort;
  deadLetters: DeadLetterPort;
}
