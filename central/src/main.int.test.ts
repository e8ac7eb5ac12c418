import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { storeKeyFor } from '@retail-sync/libs/domain';
import { createLogger } from '@retail-sync/libs/log';
import { Client } from 'cassandra-driver';
import { afterAll, describe, expect, it } from 'vitest';
import { openShipStream } from './ingest/grpc/test-client.ts';
import { loadCentralConfig, startCentral } from './index.ts';
import { eventually } from './queue/queue.contract.ts';
import { saleFixture, wireEventFixture } from './test-fixtures.ts';

const SEED = fileURLToPath(new URL('../../data/seed/catalog.json', import.meta.url));
const logger = createLogger({ service: 'central-int-test', level: 'silent' });

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is unset: start the servers with scripts/services up (npm test does it)`);
  return value;
}

describe('central on the production profile (real Redis and Cassandra)', () => {
  const tag = `p${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
  const dir = mkdtempSync(join(tmpdir(), 'rs-central-prod-'));
  const contactPoints = required('RS_CASSANDRA_CONTACT_POINTS');
  const env = {
    RS_PROFILE: 'production',
    RS_DEV_DERIVED_KEYS: 'true', // the test's stream uses the derived dev key
    RS_DATA_DIR: dir,
    RS_ADMIN_PORT: '0',
    RS_GRPC_PORT: '0',
    RS_CATALOG_PATH: SEED,
    RS_REDIS_URL: required('RS_REDIS_URL'),
    RS_QUEUE_PREFIX: `rs-${tag}`,
    RS_CASSANDRA_CONTACT_POINTS: contactPoints,
    RS_CASSANDRA_KEYSPACE: `rs_${tag}`,
    RS_WORKER_BACKOFF_MS: '10',
  };

  afterAll(async () => {
    const client = new Client({ contactPoints: contactPoints.split(','), localDataCenter: 'datacenter1', protocolOptions: { maxVersion: 4 } });
    await client.execute(`DROP KEYSPACE IF EXISTS rs_${tag}`);
    await client.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes a batch over gRPC through BullMQ into Cassandra, once per event even when the store resends it', async () => {
    const central = await startCentral(loadCentralConfig(env), { logger });
    try {
      const stream = openShipStream(central.grpcPort!, { storeId: 'nyc-001', key: storeKeyFor(loadCentralConfig({}).RS_STORE_KEY_SECRET, 'nyc-001') });
      const good = wireEventFixture({ seq: 1 });
      const unknownSku = wireEventFixture({ seq: 2 }, saleFixture({ receipt_no: 'r-2', lines: [{ sku: 'not-in-catalog', qty: 1, unit_price_minor: 100, discount_minor: 0 }], tax_minor: 0, total_minor: 100 }));
      const batch = { batch_id: 'b-1', events: [good, unknownSku].map((e) => ({ ...e, sale_json: Buffer.from(e.sale_json) })), high_water_seq: 2 };
      expect((await stream.send(batch)).acks.map((a) => a.outcome)).toEqual(['ACCEPTED', 'ACCEPTED']);
      // the store lost the ack and resends: central answers duplicate and stores nothing twice
      expect((await stream.send({ ...batch, batch_id: 'b-2' })).acks.map((a) => a.outcome)).toEqual(['DUPLICATE', 'DUPLICATE']);
      stream.end();
      await stream.status;
      stream.close();

      await eventually(async () => (await central.orderStore.seqsForStore('nyc-001', 1, 2)).length === 1 && (await central.deadLetters.seqsForStore('nyc-001')).length === 1, 30_000);
      const stored = await central.orderStore.seqsForStore('nyc-001', 1, 2);
      expect(stored).toEqual([expect.objectContaining({ seq: 1, event_id: good.event_id })]);
      const [letter] = await central.deadLetters.list({ storeId: 'nyc-001' });
      expect(letter).toMatchObject({ seq: 2, reason_code: 'RS_ERR_UNKNOWN_PRODUCT', stage: 'worker' });
      expect(await central.queue.counts()).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
    } finally {
      await central.close();
    }
  });
});
