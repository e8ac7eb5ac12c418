import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { storeKeyFor } from '@retail-sync/libs/domain';
import { EmbeddedDeadLetters, EmbeddedOrderStore } from '@retail-sync/libs/embedded';
import { createLogger } from '@retail-sync/libs/log';
import type { ShipBatch } from '@retail-sync/libs/proto';
import { service as healthService } from 'grpc-health-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryCatalog } from '../../catalog/index.ts';
import { EmbeddedQueue } from '../../queue/embedded/index.ts';
import { wireEventFixture } from '../../test-fixtures.ts';
import { createIngestCore, type IngestCore } from '../ingest-core.ts';
import { startGrpcIngest, type GrpcIngestServer } from './server.ts';
import { openShipStream } from './test-client.ts';

const SECRET = 'test-secret';
const SEED = fileURLToPath(new URL('../../../../data/seed/catalog.json', import.meta.url));

describe('gRPC ingest', () => {
  let queue: EmbeddedQueue;
  let orderStore: EmbeddedOrderStore;
  let deadLetters: EmbeddedDeadLetters;
  let server: GrpcIngestServer;
  let core: IngestCore;

  beforeEach(async () => {
    queue = await EmbeddedQueue.open({ path: ':memory:' });
    orderStore = await EmbeddedOrderStore.open(':memory:');
    deadLetters = await EmbeddedDeadLetters.open(':memory:');
    await orderStore.migrate();
    await deadLetters.migrate();
    const logger = createLogger({ service: 'test', level: 'silent' });
    core = createIngestCore({ queue, orderStore, deadLetters, logger });
    const catalog = await InMemoryCatalog.fromFile(SEED);
    server = await startGrpcIngest({ host: '127.0.0.1', port: 0, storeKeySecret: SECRET, catalog, core, logger });
  });

  afterEach(async () => {
    await server.close();
    await Promise.all([queue.close(), orderStore.close(), deadLetters.close()]);
  });

  const batchOf = (seqs: number[], batchId = 'b-1'): ShipBatch => ({
    batch_id: batchId,
    events: seqs.map((seq) => {
      const event = wireEventFixture({ seq });
      return { ...event, sale_json: Buffer.from(event.sale_json) };
    }),
    high_water_seq: Math.max(...seqs),
  });

  const rejectedWith = async (credential: { storeId?: string; key?: string }) => {
    const stream = openShipStream(server.port, credential);
    await expect(stream.send(batchOf([1]))).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    const status = await stream.status;
    stream.close();
    expect((await queue.counts()).waiting).toBe(0);
    expect(await orderStore.storeProgress()).toEqual([]);
    return status;
  };

  it('ends a stream without credential with UNAUTHENTICATED and enqueues nothing', async () => {
    expect((await rejectedWith({})).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('rejects a wrong key', async () => {
    await rejectedWith({ storeId: 'nyc-001', key: 'f'.repeat(64) });
  });

  it("rejects another store's key", async () => {
    await rejectedWith({ storeId: 'nyc-001', key: storeKeyFor(SECRET, 'bos-001') });
  });

  it('rejects a valid key of a store the catalog does not know', async () => {
    await rejectedWith({ storeId: 'ghost-001', key: storeKeyFor(SECRET, 'ghost-001') });
  });

  it('acks a valid batch per event, batch after batch, and records the high-water seq', async () => {
    const stream = openShipStream(server.port, { storeId: 'nyc-001', key: storeKeyFor(SECRET, 'nyc-001') });
    const first = batchOf([1, 2, 3], 'b-1');
    const firstAck = await stream.send(first);
    expect(firstAck.batch_id).toBe('b-1');
    expect(firstAck.acks.map((ack) => [ack.event_id, ack.seq, ack.outcome])).toEqual(first.events.map((event) => [event.event_id, event.seq, 'ACCEPTED']));
    const [secondAck, resentAck] = await Promise.all([stream.send(batchOf([4], 'b-2')), stream.send({ ...first, batch_id: 'b-1-again' })]);
    expect(secondAck.batch_id).toBe('b-2');
    expect(resentAck.acks.map((ack) => ack.outcome)).toEqual(['DUPLICATE', 'DUPLICATE', 'DUPLICATE']);
    stream.end();
    expect((await stream.status).code).toBe(grpc.status.OK);
    stream.close();
    expect((await queue.counts()).waiting).toBe(4);
    expect(await orderStore.storeProgress()).toMatchObject([{ store_id: 'nyc-001', high_water_seq: 4 }]);
  });

  it('serves the standard health check for the Ingest service', async () => {
    const HealthClient = grpc.makeClientConstructor(healthService as unknown as grpc.ServiceDefinition, 'grpc.health.v1.Health');
    const client = new HealthClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as unknown as {
      Check(request: { service: string }, callback: (error: grpc.ServiceError | null, response: { status: string | number }) => void): void;
      close(): void;
    };
    const response = await new Promise<{ status: string | number }>((resolve, reject) =>
      client.Check({ service: 'retailsync.v1.Ingest' }, (error, result) => (error ? reject(error) : resolve(result))),
    );
    client.close();
    expect(['SERVING', 1]).toContain(response.status);
  });

  it('on close acks the batch in flight, then ends the stream as UNAVAILABLE', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const original = core.ingestBatch.bind(core);
    core.ingestBatch = async (storeId, batch) => {
      await gate;
      return original(storeId, batch);
    };
    const stream = openShipStream(server.port, { storeId: 'nyc-001', key: storeKeyFor(SECRET, 'nyc-001') });
    const ack = stream.send(batchOf([1]));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = server.close();
    release();
    expect((await ack).acks[0]!.outcome).toBe('ACCEPTED');
    expect((await stream.status).code).toBe(grpc.status.UNAVAILABLE);
    await closed;
    stream.close();
  });
});
