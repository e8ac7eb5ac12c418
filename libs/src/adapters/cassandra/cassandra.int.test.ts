/**
 * The Cassandra adapters against a real node (scripts/services up cassandra): the shared port contracts,
 * then what only Cassandra can show — replays land on the same rows, migrations apply once, reports
 * landing out of order keep their maximum, and failures keep their cause. Runs in its own keyspace,
 * dropped at the end. A missing server fails the run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { describeDeadLetterContract, describeOrderStoreContract, describeStoreCredentialContract, deadLetterFixture, storedSaleFixture } from '../../testing/index.ts';
import {
  cassandraConfigSchema,
  createCassandraDeadLetters,
  createCassandraOrderStore,
  createCassandraStoreCredentials,
  CassandraSession,
  DEFAULT_MIGRATIONS_DIR,
  migrateKeyspace,
  type CassandraConfig,
} from './index.ts';

if (!process.env.RS_CASSANDRA_CONTACT_POINTS) {
  throw new Error('RS_CASSANDRA_CONTACT_POINTS is unset: run `scripts/services up cassandra` and `eval "$(scripts/services env --export)"` first');
}

const keyspace = `rs_test_${randomBytes(5).toString('hex')}`;
const config: CassandraConfig = loadConfig(cassandraConfigSchema, { ...process.env, RS_CASSANDRA_KEYSPACE: keyspace });
const DATA_TABLES = [
  'sales_by_store_day', 'stores_by_date', 'seq_by_store', 'seq_buckets_by_store', 'dates_touched', 'store_progress',
  'dead_letters', 'dead_letters_by_store', 'dead_letters_by_reason', 'store_credentials', 'store_credentials_by_store',
];

let admin: CassandraSession;

/** Rows of a CQL query on the test keyspace, as plain objects. */
async function rows(cql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const result = await admin.client.execute(cql.replaceAll('$ks', keyspace), params, { prepare: true });
  return result.rows.map((row) => Object.fromEntries(row.keys().map((key) => [key, row.get(key)])));
}

async function truncateAll(): Promise<void> {
  for (const table of DATA_TABLES) await admin.client.execute(`TRUNCATE ${keyspace}.${table}`);
}

beforeAll(async () => {
  admin = await CassandraSession.acquire(config);
  await migrateKeyspace(admin, config);
});

afterAll(async () => {
  await admin.client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  await admin.release();
});

describeStoreCredentialContract('cassandra', async () => {
  const adapter = await createCassandraStoreCredentials(config);
  return { adapter, cleanup: async () => { await adapter.close(); await truncateAll(); } };
});

describeOrderStoreContract('cassandra', async () => {
  const adapter = await createCassandraOrderStore(config);
  return { adapter, cleanup: async () => { await adapter.close(); await truncateAll(); } };
});

describeDeadLetterContract('cassandra', async () => {
  const adapter = await createCassandraDeadLetters(config);
  return { adapter, cleanup: async () => { await adapter.close(); await truncateAll(); } };
});

describe('Cassandra order store', () => {
  it('writes an event replayed in the same and later batches as one row in every table', async () => {
    const store = await createCassandraOrderStore(config);
    try {
      const sale = storedSaleFixture({ store_id: 'replay-001', seq: 42 });
      await store.putSales([sale, { ...sale }]);
      await store.putSales([sale]);
      await store.putSales([sale]);
      expect(await rows('SELECT event_id FROM $ks.sales_by_store_day WHERE store_id = ? AND business_date = ?', ['replay-001', '2026-03-08'])).toEqual([{ event_id: sale.event_id }]);
      expect(await rows('SELECT event_id FROM $ks.seq_by_store WHERE store_id = ? AND seq_bucket = 0', ['replay-001'])).toEqual([{ event_id: sale.event_id }]);
      expect(await rows('SELECT store_id FROM $ks.stores_by_date WHERE business_date = ? AND store_id = ?', ['2026-03-08', 'replay-001'])).toHaveLength(1);
      expect(await rows('SELECT seq_bucket FROM $ks.seq_buckets_by_store WHERE store_id = ?', ['replay-001'])).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('writes each lookup row once per adapter: a later batch of the same store-day and seq block skips them', async () => {
    const first = await createCassandraOrderStore(config);
    try {
      await first.putSales([storedSaleFixture({ store_id: 'lookup-001', seq: 1 })]);
      // Removed behind the adapter's back, so only a rewrite could bring them back.
      await admin.client.execute(`DELETE FROM ${keyspace}.stores_by_date WHERE business_date = ? AND store_id = ?`, ['2026-03-08', 'lookup-001'], { prepare: true });
      await admin.client.execute(`DELETE FROM ${keyspace}.seq_buckets_by_store WHERE store_id = ?`, ['lookup-001'], { prepare: true });
      await first.putSales([storedSaleFixture({ store_id: 'lookup-001', seq: 2 })]);
      expect(await rows('SELECT store_id FROM $ks.stores_by_date WHERE business_date = ? AND store_id = ?', ['2026-03-08', 'lookup-001'])).toHaveLength(0);
      expect(await rows('SELECT seq_bucket FROM $ks.seq_buckets_by_store WHERE store_id = ?', ['lookup-001'])).toHaveLength(0);
      expect(await rows('SELECT seq FROM $ks.seq_by_store WHERE store_id = ? AND seq_bucket = 0', ['lookup-001'])).toHaveLength(2);
    } finally {
      await first.close();
    }
    const second = await createCassandraOrderStore(config);
    try {
      await second.putSales([storedSaleFixture({ store_id: 'lookup-001', seq: 3 })]);
      expect(await rows('SELECT store_id FROM $ks.stores_by_date WHERE business_date = ? AND store_id = ?', ['2026-03-08', 'lookup-001'])).toHaveLength(1);
      expect(await rows('SELECT seq_bucket FROM $ks.seq_buckets_by_store WHERE store_id = ?', ['lookup-001'])).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it('finds seqs across seq blocks, in order, without probing blocks the store never used', async () => {
    const store = await createCassandraOrderStore(config);
    try {
      const seqs = [250_000, 99_999, 100_000, 1];
      const sales = seqs.map((seq) => storedSaleFixture({ store_id: 'blocks-001', seq }));
      await store.putSales(sales);
      expect((await store.seqsForStore('blocks-001', 1, 10_000_000)).map((entry) => entry.seq)).toEqual([1, 99_999, 100_000, 250_000]);
      expect((await store.seqsForStore('blocks-001', 99_999, 100_000)).map((entry) => entry.seq)).toEqual([99_999, 100_000]);
      expect((await rows('SELECT seq_bucket FROM $ks.seq_buckets_by_store WHERE store_id = ?', ['blocks-001'])).map((row) => Number(String(row.seq_bucket)))).toEqual([0, 1, 2]);
    } finally {
      await store.close();
    }
  });

  it('reads a store-day larger than one page, ordered by seq', async () => {
    const store = await createCassandraOrderStore(config);
    try {
      const sales = Array.from({ length: 5_500 }, (_, index) => storedSaleFixture({ store_id: 'paged-001', seq: 5_500 - index }));
      await store.putSales(sales);
      const day = await store.salesForStoreDay('paged-001', '2026-03-08');
      expect(day).toHaveLength(5_500);
      expect(day.map((sale) => sale.seq)).toEqual(Array.from({ length: 5_500 }, (_, index) => index + 1));
    } finally {
      await store.close();
    }
  });

  it('keeps the highest high-water and the latest sighting whatever order concurrent reports land in', async () => {
    const store = await createCassandraOrderStore(config);
    try {
      const reports = Array.from({ length: 200 }, (_, index) => index + 1).sort(() => Math.random() - 0.5);
      await Promise.all(reports.map((seq) => store.recordStoreProgress('race-001', seq, new Date(Date.UTC(2026, 2, 8, 10, 0, seq)).toISOString())));
      expect((await store.storeProgress()).find((entry) => entry.store_id === 'race-001')).toEqual({
        store_id: 'race-001',
        high_water_seq: 200,
        last_seen_at: new Date(Date.UTC(2026, 2, 8, 10, 0, 200)).toISOString(),
      });
    } finally {
      await store.close();
    }
  });

  it('rejects a write to a keyspace that was never migrated as not retriable', async () => {
    const unmigrated = { ...config, RS_CASSANDRA_KEYSPACE: `rs_test_missing_${randomBytes(4).toString('hex')}` };
    const store = await createCassandraOrderStore(unmigrated);
    try {
      await expect(store.putSales([storedSaleFixture()])).rejects.toMatchObject({ code: 'RS_ERR_CASSANDRA_REJECTED', retriable: false });
    } finally {
      await store.close();
    }
  });

  it('reports an unreachable cluster as a retriable dependency failure naming each host', async () => {
    const nowhere = { ...config, RS_CASSANDRA_CONTACT_POINTS: ['127.0.0.1:1', '127.0.0.1:2'] };
    const error = await createCassandraOrderStore(nowhere).then(
      () => undefined,
      (failure: unknown) => failure as { code: string; retriable: boolean; details: { hosts: Array<{ host: string; code?: string }> } },
    );
    expect(error).toMatchObject({ code: 'RS_ERR_DEPENDENCY_UNAVAILABLE', retriable: true });
    // The driver tries contact points in random order; each one's own cause is kept.
    expect(error!.details.hosts.map(({ host, code }) => ({ host, code })).sort((a, b) => a.host.localeCompare(b.host))).toEqual([
      { host: '127.0.0.1:1', code: 'ECONNREFUSED' },
      { host: '127.0.0.1:2', code: 'ECONNREFUSED' },
    ]);
  });
});

describe('Cassandra dead letters', () => {
  it('moves a letter from its old reason and store lookups when it is dead-lettered again', async () => {
    const letters = await createCassandraDeadLetters(config);
    try {
      const letter = deadLetterFixture({ store_id: 'moved-001', reason_code: 'RS_ERR_UNKNOWN_PRODUCT' });
      await letters.put(letter);
      await letters.put({ ...letter, store_id: 'moved-002', reason_code: 'RS_ERR_UNKNOWN_STORE', created_at: '2030-01-01T00:00:00.000Z' });
      expect(await rows('SELECT id FROM $ks.dead_letters_by_reason WHERE reason_code = ?', ['RS_ERR_UNKNOWN_PRODUCT'])).toEqual([]);
      expect(await rows('SELECT id FROM $ks.dead_letters_by_store WHERE store_id = ?', ['moved-001'])).toEqual([]);
      expect(await letters.list({ reasonCode: 'RS_ERR_UNKNOWN_STORE' })).toEqual([
        { ...letter, store_id: 'moved-002', reason_code: 'RS_ERR_UNKNOWN_STORE', created_at: letter.created_at },
      ]);
    } finally {
      await letters.close();
    }
  });

  it('does not create a letter when an unknown id is marked replayed', async () => {
    const letters = await createCassandraDeadLetters(config);
    try {
      await letters.markReplayed('never-dead-lettered', '2026-03-08T12:00:00.000Z');
      expect(await letters.get('never-dead-lettered')).toBeUndefined();
    } finally {
      await letters.close();
    }
  });
});

describe('Cassandra migrations', () => {
  const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
  const probeMigration = "-- test only\nCREATE TABLE IF NOT EXISTS probe (id text PRIMARY KEY, note text);\nINSERT INTO probe (id, note) VALUES ('a', 'it''s; fine');\n";

  it('records each applied file with its checksum, and applying again changes nothing', async () => {
    const tablesBefore = await rows('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [keyspace]);
    expect(await migrateKeyspace(admin, config)).toEqual([]);
    const recorded = await rows('SELECT name, checksum FROM $ks.schema_migrations');
    expect(recorded.sort((a, b) => String(a.name).localeCompare(String(b.name)))).toEqual([
      { name: '001_order_store', checksum: sha256(join(DEFAULT_MIGRATIONS_DIR, '001_order_store.cql')) },
      { name: '002_dead_letters', checksum: sha256(join(DEFAULT_MIGRATIONS_DIR, '002_dead_letters.cql')) },
      { name: '003_store_credentials', checksum: sha256(join(DEFAULT_MIGRATIONS_DIR, '003_store_credentials.cql')) },
    ]);
    expect(await rows('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [keyspace])).toEqual(tablesBefore);
  });

  it('applies a new file once, and refuses an applied file that was edited', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-cql-'));
    try {
      cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
      writeFileSync(join(dir, '003_probe.cql'), probeMigration);
      expect(await migrateKeyspace(admin, config, dir)).toEqual(['003_probe']);
      expect(await migrateKeyspace(admin, config, dir)).toEqual([]);
      expect(await rows('SELECT note FROM $ks.probe')).toEqual([{ note: "it's; fine" }]);

      appendFileSync(join(dir, '001_order_store.cql'), '\n-- edited after it was applied\n');
      await expect(migrateKeyspace(admin, config, dir)).rejects.toMatchObject({ code: 'RS_ERR_MIGRATION_DRIFT', retriable: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets concurrent runners of one keyspace apply a file once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-cql-'));
    try {
      cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
      writeFileSync(join(dir, '003_probe.cql'), probeMigration);
      writeFileSync(join(dir, '004_second_probe.cql'), 'CREATE TABLE IF NOT EXISTS second_probe (id text PRIMARY KEY);\n');
      // A second Client stands for a second process: it does not share the in-process run.
      const other = await CassandraSession.acquire({ ...config, RS_CASSANDRA_CONSISTENCY: 'ONE' });
      try {
        const [mine, theirs] = await Promise.all([migrateKeyspace(admin, config, dir), migrateKeyspace(other, config, dir)]);
        expect([...mine, ...theirs]).toEqual(['004_second_probe']);
      } finally {
        await other.release();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
