import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { DEV_STORE_KEY_SECRET, storeKeyFor } from '@retail-sync/libs/domain';
import { EmbeddedDeadLetters, EmbeddedOrderStore, EmbeddedStoreCredentials } from '@retail-sync/libs/embedded';
import { createLogger } from '@retail-sync/libs/log';
import type { ShipBatch } from '@retail-sync/libs/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryCatalog } from '../../catalog/index.ts';
import { EmbeddedQueue } from '../../queue/embedded/index.ts';
import { wireEventFixture, saleFixture } from '../../test-fixtures.ts';
import { createIngestCore } from '../ingest-core.ts';
import { CredentialCrypto, issueStoreKey, rotateStoreKey, StoreKeyVerifier, type IssuedKey } from '../store-credentials.ts';
import { startGrpcIngest, type GrpcIngestServer } from './server.ts';
import { openShipStream } from './test-client.ts';

const SEED = fileURLToPath(new URL('../../../../data/seed/catalog.json', import.meta.url));
const crypto = new CredentialCrypto('test-pepper');

// Issued keys, as on production: derived dev keys are off unless a test turns them on.
describe('gRPC ingest with issued store keys', () => {
  let queue: EmbeddedQueue;
  let orderStore: EmbeddedOrderStore;
  let deadLetters: EmbeddedDeadLetters;
  let keys: EmbeddedStoreCredentials;
  let server: GrpcIngestServer;
  let nyc: IssuedKey;
  let bos: IssuedKey;

  async function start(devSecret?: string): Promise<void> {
    const logger = createLogger({ service: 'test', level: 'silent' });
    const verifier = new StoreKeyVerifier({ port: keys, crypto, devSecret, cacheTtlMs: 0 });
    server = await startGrpcIngest({
      host: '127.0.0.1', port: 0, verifier, catalog: await InMemoryCatalog.fromFile(SEED), core: createIngestCore({ queue, orderStore, deadLetters, logger }), logger,
    });
  }

  beforeEach(async () => {
    queue = await EmbeddedQueue.open({ path: ':memory:' });
    orderStore = await EmbeddedOrderStore.open(':memory:');
    deadLetters = await EmbeddedDeadLetters.open(':memory:');
    keys = await EmbeddedStoreCredentials.open(':memory:');
    await Promise.all([orderStore.migrate(), deadLetters.migrate(), keys.migrate()]);
    nyc = await issueStoreKey(keys, crypto, 'nyc-001', new Date());
    bos = await issueStoreKey(keys, crypto, 'bos-001', new Date());
  });

  afterEach(async () => {
    await server.close();
    await Promise.all([queue.close(), orderStore.close(), deadLetters.close(), keys.close()]);
  });

  const batchOf = (seqs: number[], storeOf: (seq: number) => string = () => 'nyc-001'): ShipBatch => ({
    batch_id: `b-${seqs.join('-')}`,
    events: seqs.map((seq) => {
      const event = wireEventFixture({ seq, store_id: storeOf(seq) }, saleFixture({ store_id: storeOf(seq), receipt_no: `r-${seq}` }));
      return { ...event, sale_json: Buffer.from(event.sale_json) };
    }),
    high_water_seq: Math.max(...seqs),
  });

  /** The stream fails UNAUTHENTICATED and leaves queue, progress and dead letters as they were. */
  const refused = async (credential: { storeId?: string; key?: string; keyId?: string }) => {
    const before = [(await queue.counts()).waiting, await orderStore.storeProgress(), await deadLetters.list()];
    const stream = openShipStream(server.port, credential);
    await expect(stream.send(batchOf([7]))).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    stream.close();
    expect([(await queue.counts()).waiting, await orderStore.storeProgress(), await deadLetters.list()]).toEqual(before);
  };

  it('refuses a stream with no credential, a wrong secret, or another store’s key: UNAUTHENTICATED, nothing enqueued', async () => {
    await start();
    await refused({});
    expect((await queue.counts()).waiting).toBe(0);
    await refused({ storeId: 'nyc-001', keyId: nyc.key_id });
    await refused({ storeId: 'nyc-001', keyId: nyc.key_id, key: `${nyc.secret}x` });
    await refused({ storeId: 'nyc-001', keyId: nyc.key_id, key: bos.secret });
    await refused({ storeId: 'nyc-001', keyId: bos.key_id, key: bos.secret });
    await refused({ storeId: 'nyc-001', keyId: 'rsk_0000000000000000', key: nyc.secret });
    expect([(await queue.counts()).waiting, await orderStore.storeProgress(), await deadLetters.list()]).toEqual([0, [], []]);
  });

  it('refuses the derived dev key unless derived dev keys are on', async () => {
    await start();
    await refused({ storeId: 'nyc-001', key: storeKeyFor(DEV_STORE_KEY_SECRET, 'nyc-001') });
    await server.close();
    await start(DEV_STORE_KEY_SECRET);
    const stream = openShipStream(server.port, { storeId: 'nyc-001', key: storeKeyFor(DEV_STORE_KEY_SECRET, 'nyc-001') });
    expect((await stream.send(batchOf([1]))).acks[0]!.outcome).toBe('ACCEPTED');
    stream.close();
  });

  it("rejects and dead-letters an event of another store (RS_ERR_STORE_MISMATCH) while accepting its neighbours", async () => {
    await start();
    const stream = openShipStream(server.port, { storeId: 'nyc-001', keyId: nyc.key_id, key: nyc.secret });
    const ack = await stream.send(batchOf([1, 2, 3], (seq) => (seq === 2 ? 'bos-001' : 'nyc-001')));
    expect(ack.acks.map((eventAck) => [eventAck.seq, eventAck.outcome, eventAck.reason_code])).toEqual([
      [1, 'ACCEPTED', ''],
      [2, 'REJECTED', 'RS_ERR_STORE_MISMATCH'],
      [3, 'ACCEPTED', ''],
    ]);
    stream.close();
    expect((await queue.counts()).waiting).toBe(2);
    const [letter] = await deadLetters.list();
    expect(letter).toMatchObject({ reason_code: 'RS_ERR_STORE_MISMATCH', stage: 'ingest', store_id: 'nyc-001', attempts: 1 });
    expect(JSON.parse(letter!.payload)).toMatchObject({ store_id: 'bos-001', receipt_no: 'r-2' });
  });

  it('ends an open stream once its key is revoked, and refuses new ones', async () => {
    await start();
    const stream = openShipStream(server.port, { storeId: 'nyc-001', keyId: nyc.key_id, key: nyc.secret });
    expect((await stream.send(batchOf([1]))).acks[0]!.outcome).toBe('ACCEPTED');
    await keys.revoke(nyc.key_id, new Date().toISOString());
    await expect(stream.send(batchOf([2]))).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    stream.close();
    expect((await queue.counts()).waiting).toBe(1);
    await refused({ storeId: 'nyc-001', keyId: nyc.key_id, key: nyc.secret });
  });

  it('keeps the old key valid through the rotation overlap, then only the new one', async () => {
    await start();
    const now = new Date();
    const { issued, expiring } = await rotateStoreKey(keys, crypto, 'nyc-001', 60_000, now);
    expect(expiring).toEqual([{ key_id: nyc.key_id, expires_at: new Date(now.getTime() + 60_000).toISOString() }]);
    for (const key of [nyc, issued]) {
      const stream = openShipStream(server.port, { storeId: 'nyc-001', keyId: key.key_id, key: key.secret });
      expect((await stream.send(batchOf([1]))).acks).toHaveLength(1);
      stream.close();
    }
    await rotateStoreKey(keys, crypto, 'nyc-001', 0, new Date());
    await refused({ storeId: 'nyc-001', keyId: nyc.key_id, key: nyc.secret });
    await refused({ storeId: 'nyc-001', keyId: issued.key_id, key: issued.secret });
  });
});

describe('CredentialCrypto and StoreKeyVerifier', () => {
  it('stores neither the secret nor anything that opens without the pepper', async () => {
    const stored: unknown[] = [];
    const issued = await issueStoreKey({ insert: async (record) => void stored.push(record) }, crypto, 'nyc-001', new Date());
    const text = JSON.stringify(stored);
    expect(text).not.toContain(issued.secret);
    expect(text).not.toContain(issued.secret.slice(4, 24));
    const record = stored[0] as { key_id: string; signing_key_enc: string };
    expect(new CredentialCrypto('another-pepper').unwrap(record.signing_key_enc, record.key_id)).toBeUndefined();
    expect(crypto.unwrap(record.signing_key_enc, 'rsk_ffffffffffffffff')).toBeUndefined();
  });

  it('reads a key from the port once per cache TTL', async () => {
    let reads = 0;
    const port = await EmbeddedStoreCredentials.open(':memory:');
    await port.migrate();
    const issued = await issueStoreKey(port, crypto, 'nyc-001', new Date());
    const counting = { get: async (keyId: string) => (reads++, port.get(keyId)) };
    const verifier = new StoreKeyVerifier({ port: counting, crypto, devSecret: undefined, cacheTtlMs: 60_000 });
    for (let i = 0; i < 100; i += 1) expect(await verifier.verify({ storeId: 'nyc-001', keyId: issued.key_id, secret: issued.secret })).toMatchObject({ ok: true });
    expect(reads).toBe(1);
    verifier.forget(issued.key_id);
    expect(await verifier.signingKey('nyc-001', issued.key_id)).toHaveProperty('key');
    expect(reads).toBe(2);
    await port.close();
  });
});
