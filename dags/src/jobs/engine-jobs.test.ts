import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedDb, EmbeddedDeadLetters, EmbeddedOrderStore } from '@retail-sync/libs/embedded';
import { describeEngineAndJobs } from '../testing/engine-jobs-suite.ts';
import { DuckDbWarehouse } from '../warehouse/duckdb/index.ts';

// The embedded profile: DuckDB warehouse and the embedded order store, each a file in a temp dir.
describeEngineAndJobs('duckdb + embedded order store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-dags-engine-jobs-'));
  const warehousePath = join(dir, 'warehouse.duckdb');
  const ordersPath = join(dir, 'orders.duckdb');
  const warehouse = await DuckDbWarehouse.open({ path: warehousePath });
  await warehouse.migrate();
  const orderStore = await EmbeddedOrderStore.open(ordersPath);
  await orderStore.migrate();
  const deadLetters = await EmbeddedDeadLetters.open(ordersPath);
  await deadLetters.migrate();
  return {
    warehouse,
    orderStore,
    deadLetters,
    openReplicaWarehouse: () => DuckDbWarehouse.open({ path: warehousePath }),
    loseSale: async (sale) => {
      const db = await EmbeddedDb.acquire(ordersPath);
      try {
        await db.run('DELETE FROM sales WHERE event_id = $1', [sale.event_id]);
      } finally {
        await db.release();
      }
    },
    cleanup: async () => {
      await Promise.all([warehouse.close(), orderStore.close(), deadLetters.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
