/**
 * Definitions: the one place that says which jobs exist and which resources they get per deployment
 * profile (Dagster's definitions.py). Jobs read resources by key only, so the embedded profile (DuckDB)
 * and production (ClickHouse) run the same job code.
 */
import type { DeadLetterPort, OrderStorePort } from '@retail-sync/libs/ports';
import type { DagsConfig } from './config.ts';
import type { Job } from './engine/job.ts';
import type { EngineStores } from './engine/stores.ts';
import type { DagWarehouse } from './warehouse/dag-warehouse.ts';
import type { DagResources } from './jobs/resources.ts';
import { reconcile_daily } from './jobs/reconcile_daily.ts';
import { sales_rollups } from './jobs/sales_rollups.ts';
import { ClickHouseWarehouse, clickHouseOptionsFromConfig } from './warehouse/clickhouse/index.ts';
import { DuckDbWarehouse } from './warehouse/duckdb/index.ts';

/** Every job the runner schedules, in tick order (a job's `after` comes first); each lives in jobs/<id>.ts. */
export const jobs: readonly Job<DagResources>[] = [sales_rollups, reconcile_daily];

export interface OpenedResources {
  resources: DagResources;
  warehouse: DagWarehouse;
  /** Run history, leases and job state for the engine. */
  engineStores: EngineStores;
  close(): Promise<void>;
}

/** What the runner's owner passes in: central's order store and dead letters (or their production adapters). */
export interface ExternalResources {
  orderStore: OrderStorePort;
  deadLetters: DeadLetterPort;
}

type ResourceFactory = (config: DagsConfig, external: ExternalResources) => Promise<OpenedResources>;

/** Profile → how its resources are opened. */
export const resourcesByProfile: Record<DagsConfig['RS_PROFILE'], ResourceFactory> = {
  embedded: async (config, external) => {
    const warehouse = await DuckDbWarehouse.open({ path: config.RS_WAREHOUSE_PATH });
    return { resources: { warehouse, ...external }, warehouse, engineStores: warehouse.engineStores(), close: () => warehouse.close() };
  },
  production: async (config, external) => {
    const warehouse = await ClickHouseWarehouse.open(clickHouseOptionsFromConfig(config));
    return { resources: { warehouse, ...external }, warehouse, engineStores: warehouse.engineStores(), close: () => warehouse.close() };
  },
};

/** Opens the profile's resources and migrates the warehouse. */
export async function openResources(config: DagsConfig, external: ExternalResources): Promise<OpenedResources> {
  const opened = await resourcesByProfile[config.RS_PROFILE](config, external);
  try {
    await opened.warehouse.migrate();
  } catch (error) {
    await opened.close().catch(() => undefined);
    throw error;
  }
  return opened;
}
