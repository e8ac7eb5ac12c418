import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEV_STORE_KEY_SECRET, storeKeyFor, type SaleEvent } from '@retail-sync/libs/domain';
import { decodeKafkaSaleEvent, isKafkaSignatureValid, KAFKA_HEADER_SIGNATURE, KAFKA_HEADER_STORE_ID, kafkaHeaderText } from '@retail-sync/libs/proto';
import { DiskBuffer } from '../../buffer/index.ts';
import { captureLogger, makeTempDir } from '../../testing/capture-logger.ts';
import { saleEvent } from '../../testing/sale-factory.ts';
import { KafkaShipper } from './kafka-shipper.ts';

const STORE = 'nyc-001';
const brokersEnv = process.env.RS_KAFKA_BROKERS;
// A missing broker fails the run (never skips): run `scripts/services up kafka` and export its env.
if (!brokersEnv) throw new Error('RS_KAFKA_BROKERS is not set: run `scripts/services up kafka` and `eval "$(scripts/services env --export)"`');
const brokers = brokersEnv.split(',');
const kafka = new Kafka({ clientId: 'rs-test-store', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const topics: string[] = [];

let dir: string;
let cleanup: () => Promise<void>;
let buffer: DiskBuffer<SaleEvent>;
let shipper: KafkaShipper | undefined;

beforeAll(async () => {
  await admin.connect();
});

afterAll(async () => {
  if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
  await admin.disconnect();
});

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('kafka-shipper-int'));
  buffer = await DiskBuffer.open<SaleEvent>(dir, { groupCommitWaitMs: 0 });
});

afterEach(async () => {
  await shipper?.stop();
  shipper = undefined;
  await buffer.close();
  await cleanup();
});

async function newTopic(partitions: number): Promise<string> {
  const topic = `rs-test-store-${randomUUID().slice(0, 8)}`;
  topics.push(topic);
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
  return topic;
}

function startShipper(topic: string): KafkaShipper {
  shipper = new KafkaShipper(buffer, {
    storeId: STORE,
    keySecret: DEV_STORE_KEY_SECRET,
    brokers,
    topic,
    clientId: 'rs-test-store',
    batchMaxEvents: 500,
    batchMaxBytes: 512 * 1024,
    requestTimeoutMs: 10_000,
    sendRetries: 2,
    connectTimeoutMs: 3_000,
    backoffBaseMs: 50,
    backoffMaxMs: 1_000,
    haltBackoffMs: 1_000,
    idlePollMs: 50,
    logger: captureLogger('silent').logger,
  });
  shipper.start();
  return shipper;
}

async function appendEvents(count: number): Promise<SaleEvent[]> {
  const events: SaleEvent[] = [];
  const first = buffer.stats().lastSeq;
  await buffer.append(Array.from({ length: count }, (_, index) => (seq: number) => (events[index] = saleEvent(STORE, seq))));
  expect(events[0]!.seq).toBe(first + 1);
  return events;
}

async function eventually(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Reads `count` records of the topic from the beginning with a throwaway group. */
async function readTopic(topic: string, count: number): Promise<Array<{ partition: number; message: KafkaMessage }>> {
  const consumer = kafka.consumer({ groupId: `rs-test-reader-${randomUUID().slice(0, 8)}` });
  const seen: Array<{ partition: number; message: KafkaMessage }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ partition, message }) => void seen.push({ partition, message }) });
  try {
    await eventually(() => seen.length >= count, 30_000, `${count} records on ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('Kafka shipper against a real broker', () => {
  it('produces every buffered event once, in seq order on one partition, signed, and moves the cursor', async () => {
    const topic = await newTopic(6);
    const events = [...(await appendEvents(1_200))];
    startShipper(topic);
    events.push(...(await appendEvents(800)));
    await eventually(() => buffer.stats().ackedSeq === 2_000, 30_000, 'the ack cursor to reach 2000');
    expect(shipper!.status()).toMatchObject({ state: 'shipping', acked_events: 2_000, last_error: null });

    const records = await readTopic(topic, 2_000);
    expect(new Set(records.map((record) => record.partition)).size).toBe(1);
    const decoded = records.map(({ message }) => {
      expect(String(message.key)).toBe(STORE);
      expect(kafkaHeaderText(message.headers, KAFKA_HEADER_STORE_ID)).toBe(STORE);
      expect(isKafkaSignatureValid(storeKeyFor(DEV_STORE_KEY_SECRET, STORE), message.value!, kafkaHeaderText(message.headers, KAFKA_HEADER_SIGNATURE)!)).toBe(true);
      const result = decodeKafkaSaleEvent(message.value);
      if (!result.ok) throw new Error(result.reason);
      return result.event;
    });
    expect(decoded.map((event) => event.event_id)).toEqual(events.map((event) => event.event_id));
    expect(decoded.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(JSON.parse(decoded[1_999]!.sale_json)).toEqual(events[1_999]!.sale);
  });

  it('resumes from the ack cursor after a restart without producing acked events again', async () => {
    const topic = await newTopic(1);
    await appendEvents(300);
    startShipper(topic);
    await eventually(() => buffer.stats().ackedSeq === 300, 30_000, 'the first 300 acked');
    await shipper!.stop();
    await appendEvents(200);
    startShipper(topic);
    await eventually(() => buffer.stats().ackedSeq === 500, 30_000, 'all 500 acked');
    const seqs = (await readTopic(topic, 500)).map(({ message }) => (decodeKafkaSaleEvent(message.value) as { ok: true; event: { seq: number } }).event.seq);
    expect(seqs).toEqual(Array.from({ length: 500 }, (_, index) => index + 1));
  });

  it('waits without losing anything while the topic does not exist, then ships once it is created', async () => {
    const topic = `rs-test-store-${randomUUID().slice(0, 8)}`;
    await appendEvents(50);
    startShipper(topic);
    await eventually(() => shipper!.status().state === 'backing_off', 30_000, 'the shipper to back off on the missing topic');
    expect(buffer.stats().ackedSeq).toBe(0);
    topics.push(topic);
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2, replicationFactor: 1 }] });
    await eventually(() => buffer.stats().ackedSeq === 50, 30_000, 'all 50 acked after the topic appeared');
  });
});
