import { describeEngineStoresContract } from '../../engine/engine-stores.contract.ts';
import { DuckDbWarehouse } from './duckdb-warehouse.ts';

describeEngineStoresContract('duckdb (in memory)', async () => {
  const warehouse = await DuckDbWarehouse.open({ path: ':memory:' });
  await warehouse.migrate();
  return { stores: warehouse.engineStores(), close: () => warehouse.close() };
});
