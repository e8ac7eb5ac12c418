import { EmbeddedDeadLetters, EmbeddedOrderStore } from '@retail-sync/libs/embedded';
import { createLogger } from '@retail-sync/libs/log';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedQueue } from '../queue/embedded/index.ts';
import { saleFixture, wireEventFixture } from '../test-fixtures.ts';
import { createIngestCore, type IngestCore } from './ingest-core.ts';

describe('ingest core', () => {
  let queue: EmbeddedQueue;
  let orderStore: EmbeddedOrderStore;
  let deadLetters: EmbeddedDeadLetters;
  let core: IngestCore;

  beforeEach(async () => {
    queue = await EmbeddedQueue.open({ path: ':memory:' });
    orderStore = await EmbeddedOrderStore.open(':memory:');
    deadLetters = await EmbeddedDeadLetters.open(':memory:');
    await orderStore.migrate();
    await deadLetters.migrate();
    core = createIngestCore({ queue, orderStore, deadLetters, logger: createLogger({ service: 'test', level: 'silent' }) });
  });

  afterEach(async () => {
    await Promise.all([queue.close(), orderStore.close(), deadLetters.close()]);
  });

  it("rejects and dead-letters another store's event while accepting its neighbours", async () => {
    const before = wireEventFixture({ seq: 1 });
    const foreign = wireEventFixture({ seq: 2, store_id: 'bos-001' }, saleFixture({ store_id: 'bos-001' }));
    const after = wireEventFixture({ seq: 3 });
    const acks = await core.ingestBatch('nyc-001', { events: [before, foreign, after], high_water_seq: 3 });
    expect(acks.map((ack) => [ack.seq, ack.outcome, ack.reason_code])).toEqual([
      [1, 'ACCEPTED', ''],
      [2, 'REJECTED', 'RS_ERR_STORE_MISMATCH'],
      [3, 'ACCEPTED', ''],
    ]);
    expect((await queue.counts()).waiting).toBe(2);
    const [letter] = await deadLetters.list();
    expect(letter).toMatchObject({
      stage: 'ingest',
      reason_code: 'RS_ERR_STORE_MISMATCH',
      store_id: 'nyc-001',
      seq: 2,
      event_id: foreign.event_id,
      payload: Buffer.from(foreign.sale_json).toString('utf8'),
    });
    expect(letter!.id).not.toBe(foreign.event_id);
    expect(await deadLetters.seqsForStore('nyc-001')).toEqual([2]);
  });

  it('answers DUPLICATE for an event shipped twice and queues it once', async () => {
    const event = wireEventFixture();
    expect((await core.ingestBatch('nyc-001', { events: [event], high_water_seq: 1 }))[0]!.outcome).toBe('ACCEPTED');
    const again = await core.ingestBatch('nyc-001', { events: [event, event], high_water_seq: 1 });
    expect(again.map((ack) => ack.outcome)).toEqual(['DUPLICATE', 'DUPLICATE']);
    expect((await queue.counts()).waiting).toBe(1);
  });

  it('rejects an invalid envelope naming the field and rule, keeping the raw payload', async () => {
    const bad = wireEventFixture({ seq: 0, trace_id: 'NOT-HEX', sale_json: Buffer.from('{"half":') });
    const [ack] = await core.ingestBatch('nyc-001', { events: [bad], high_water_seq: 0 });
    expect(ack).toMatchObject({ outcome: 'REJECTED', reason_code: 'RS_ERR_INVALID_EVENT' });
    expect(ack!.reason).toContain('seq: must be a positive integer');
    expect(ack!.reason).toContain('trace_id: must be 32 lower-case hex characters');
    const letters = await deadLetters.list();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ payload: '{"half":', seq: null, trace_id: null, event_id: bad.event_id });
    expect((await queue.counts()).waiting).toBe(0);
  });

  it('keeps one letter when a rejected event is shipped again', async () => {
    const bad = wireEventFixture({ event_id: 'not-a-uuid' });
    await core.ingestBatch('nyc-001', { events: [bad], high_water_seq: 1 });
    await core.ingestBatch('nyc-001', { events: [bad], high_water_seq: 1 });
    expect(await deadLetters.list()).toHaveLength(1);
  });

  it("records the store's high-water seq, keeping the maximum", async () => {
    await core.ingestBatch('nyc-001', { events: [wireEventFixture({ seq: 5 })], high_water_seq: 9 });
    await core.ingestBatch('nyc-001', { events: [], high_water_seq: 7 });
    expect(await orderStore.storeProgress()).toMatchObject([{ store_id: 'nyc-001', high_water_seq: 9 }]);
  });

  it('fails the whole batch, acking nothing, when the queue is unavailable', async () => {
    await queue.close();
    await expect(core.ingestBatch('nyc-001', { events: [wireEventFixture()], high_water_seq: 1 })).rejects.toMatchObject({
      code: 'RS_ERR_DEPENDENCY_UNAVAILABLE',
      retriable: true,
    });
  });
});
