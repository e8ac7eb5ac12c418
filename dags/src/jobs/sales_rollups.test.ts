import { DuckDbWarehouse } from '../warehouse/duckdb/index.ts';
import { describeSalesRollupsJob } from '../testing/sales-rollups-suite.ts';

describeSalesRollupsJob('duckdb (in memory)', () => DuckDbWarehouse.open({ path: ':memory:' }));
