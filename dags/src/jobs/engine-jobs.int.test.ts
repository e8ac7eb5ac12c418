/**
 * The engine and jobs suite on the production pair: ClickHouse (a fresh rs_test_<random> database per
 * test) and Cassandra (one rs_test_<random> keyspace for the file, truncated between tests, dropped after).
 * The same suite runs on DuckDB + the embedded order store in engine-jobs.test.ts. A missing server fails.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '@retail-sync/libs/config';
import {
  cassandraConfigSchema,
  CassandraSession,
  createCassandraDeadLetters,
  createCassandraOrderStore,
  migrateKeyspace,
  SEQ_BUCKET_SIZE,
  type CassandraConfig,
} from '@retail-sync/libs/cassandra';
import { describeEngineAndJobs } from '../testing/engine-jobs-suite.ts';
import { ClickHouseWarehouse } from '../warehouse/clickhouse/index.ts';
import { dropTestDatabases, openTestWarehouse, requireClickHouseUrl } from '../warehouse/clickhouse/testing/clickhouse-test-env.ts';

if (!process.env.RS_CASSANDRA_CONTACT_POINTS) {
  throw new Error('RS_CASSANDRA_CONTACT_POINTS is unset: run `scripts/services up cassandra` and `eval "$(scripts/services env --export)"` first');
}
requireClickHouseUrl();

const keyspace = `rs_test_${randomBytes(5).toString('hex')}`;
const config: CassandraConfig = loadConfig(cassandraConfigSchema, { ...process.env, RS_CASSANDRA_KEYSPACE: keyspace });
const DATA_TABLES = [
  'sales_by_store_day', 'stores_by_date', 'seq_by_store', 'seq_buckets_by_store', 'dates_touched', 'store_progress',
  'dead_letters', 'dead_letters_by_store', 'dead_letters_by_reason',
];
let admin: CassandraSession;

beforeAll(async () => {
  admin = await CassandraSession.acquire(config);
  await migrateKeyspace(admin, config);
});

afterAll(async () => {
  await admin.client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  await admin.release();
  await dropTestDatabases();
});

describeEngineAndJobs('clickhouse + cassandra', async () => {
  const warehouse = await openTestWarehouse();
  await warehouse.migrate();
  const [database] = await warehouse.query<{ name: string }>('SELECT currentDatabase() AS name');
  const orderStore = await createCassandraOrderStore(config);
  const deadLetters = await createCassandraDeadLetters(config);
  return {
    warehouse,
    orderStore,
    deadLetters,
    openReplicaWarehouse: async () => ClickHouseWarehouse.open({ url: requireClickHouseUrl(), database: database!.name }),
    loseSale: async (sale) => {
      await admin.client.execute(`DELETE FROM ${keyspace}.sales_by_store_day WHERE store_id = ? AND business_date = ? AND seq = ? AND event_id = ?`, [sale.store_id, sale.business_date, sale.seq, sale.event_id], { prepare: true });
      await admin.client.execute(`DELETE FROM ${keyspace}.seq_by_store WHERE store_id = ? AND seq_bucket = ? AND seq = ? AND event_id = ?`, [sale.store_id, Math.floor(sale.seq / SEQ_BUCKET_SIZE), sale.seq, sale.event_id], { prepare: true });
    },
    cleanup: async () => {
      await Promise.all([warehouse.close(), orderStore.close(), deadLetters.close()]);
      for (const table of DATA_TABLES) await admin.client.execute(`TRUNCATE ${keyspace}.${table}`);
    },
  };
});
