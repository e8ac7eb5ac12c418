import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, type ProducerConfig, type ProducerRecord, type RecordMetadata } from 'kafkajs';
import { DEV_STORE_KEY_SECRET, storeKeyFor, type SaleEvent } from '@retail-sync/libs/domain';
import { decodeKafkaSaleEvent, isKafkaSignatureValid, KAFKA_HEADER_SIGNATURE } from '@retail-sync/libs/proto';
import { DiskBuffer } from '../../buffer/index.ts';
import { captureLogger, makeTempDir } from '../../testing/capture-logger.ts';
import { saleEvent } from '../../testing/sale-factory.ts';
import { KafkaShipper, type KafkaProducer, type KafkaShipperOptions } from './kafka-shipper.ts';

const STORE = 'nyc-001';

/** A producer whose sends the test answers: each call waits for the script's outcome. */
class FakeProducer implements KafkaProducer {
  readonly sends: ProducerRecord[] = [];
  disconnected = false;
  constructor(
    readonly config: ProducerConfig,
    private readonly answer: (record: ProducerRecord, index: number) => Promise<void>,
  ) {}
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    this.sends.push(record);
    await this.answer(record, this.sends.length - 1);
    return [];
  }
}

let dir: string;
let cleanup: () => Promise<void>;
let buffer: DiskBuffer<SaleEvent>;
const shippers: KafkaShipper[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('kafka-shipper'));
  buffer = await DiskBuffer.open<SaleEvent>(dir, { groupCommitWaitMs: 0 });
});

afterEach(async () => {
  for (const shipper of shippers.splice(0)) await shipper.stop();
  await buffer.close();
  await cleanup();
});

function shipperWith(answer: (record: ProducerRecord, producerIndex: number, sendIndex: number) => Promise<void>, overrides: Partial<KafkaShipperOptions> = {}) {
  const producers: FakeProducer[] = [];
  const shipper = new KafkaShipper(buffer, {
    storeId: STORE,
    keySecret: DEV_STORE_KEY_SECRET,
    brokers: ['127.0.0.1:1'],
    topic: 'rs-test',
    clientId: 'test',
    batchMaxEvents: 100,
    batchMaxBytes: 1024 * 1024,
    requestTimeoutMs: 1_000,
    sendRetries: 1,
    connectTimeoutMs: 100,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
    haltBackoffMs: 50,
    idlePollMs: 20,
    logger: captureLogger('silent').logger,
    createProducer: (config) => {
      const index = producers.length;
      const producer = new FakeProducer(config, (record, sendIndex) => answer(record, index, sendIndex));
      producers.push(producer);
      return producer;
    },
    ...overrides,
  });
  shippers.push(shipper);
  shipper.start();
  return { shipper, producers };
}

async function appendEvents(count: number): Promise<SaleEvent[]> {
  const events: SaleEvent[] = [];
  await buffer.append(Array.from({ length: count }, () => (seq: number) => (events.push(saleEvent(STORE, seq)), events.at(-1)!)));
  return events;
}

async function eventually(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const eventIdsOf = (record: ProducerRecord) => record.messages.map((message) => JSON.parse(String(message.value)).event_id as string);
const seqsOf = (record: ProducerRecord) => record.messages.map((message) => JSON.parse(String(message.value)).seq as number);
const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends that wait until the test releases them, one gate per send in order. */
function gatedSends() {
  const gates: Array<{ release: () => void; fail: (error: Error) => void; settled: Promise<void> }> = [];
  const gate = (index: number) => {
    while (gates.length <= index) {
      let release!: () => void;
      let fail!: (error: Error) => void;
      const settled = new Promise<void>((resolve, reject) => ((release = resolve), (fail = reject)));
      gates.push({ release, fail, settled });
    }
    return gates[index]!;
  };
  return { gate, answer: (_record: ProducerRecord, _producer: number, sendIndex: number) => gate(sendIndex).settled };
}

describe('Kafka shipper', () => {
  it('configures an idempotent producer with one request in flight and sends with acks=all', async () => {
    const { producers } = shipperWith(async () => undefined);
    await appendEvents(1);
    await eventually(() => buffer.stats().ackedSeq === 1);
    expect(producers[0]!.config).toMatchObject({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    expect(producers[0]!.sends[0]).toMatchObject({ topic: 'rs-test', acks: -1 });
  });

  it('moves the ack cursor only once the broker acknowledged the send', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { producers } = shipperWith(() => gate);
    await appendEvents(3);
    await eventually(() => producers[0]?.sends.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(buffer.stats().ackedSeq).toBe(0);
    release();
    await eventually(() => buffer.stats().ackedSeq === 3);
  });

  it('writes one signed record per event, keyed by store id, in seq order with the high-water seq', async () => {
    const { producers } = shipperWith(async () => undefined);
    const events = await appendEvents(5);
    await eventually(() => buffer.stats().ackedSeq === 5);
    const messages = producers[0]!.sends.flatMap((record) => record.messages);
    expect(messages.map((message) => String(message.key))).toEqual(Array(5).fill(STORE));
    const decoded = messages.map((message) => decodeKafkaSaleEvent(message.value as Buffer));
    expect(decoded.map((result) => (result.ok ? [result.event.event_id, result.event.seq, result.event.high_water_seq] : result.reason))).toEqual(
      events.map((event) => [event.event_id, event.seq, 5]),
    );
    for (const message of messages) {
      const signature = String((message.headers as Record<string, string>)[KAFKA_HEADER_SIGNATURE]);
      expect(isKafkaSignatureValid(storeKeyFor(DEV_STORE_KEY_SECRET, STORE), message.value as Buffer, signature)).toBe(true);
    }
    const first = decoded[0]!;
    expect(first.ok && JSON.parse(first.event.sale_json)).toEqual(events[0]!.sale);
  });

  it('keeps one send in flight: the next batch goes out only once the broker acked the one before, in seq order', async () => {
    const { gate, answer } = gatedSends();
    const { producers } = shipperWith(answer, { batchMaxEvents: 2 });
    await appendEvents(6);
    await eventually(() => producers[0]?.sends.length === 1);
    await sleepMs(50);
    expect(producers[0]!.sends).toHaveLength(1);
    expect(buffer.stats().ackedSeq).toBe(0);
    gate(0).release();
    await eventually(() => producers[0]!.sends.length === 2);
    await eventually(() => buffer.stats().ackedSeq === 2);
    await sleepMs(50);
    expect(producers[0]!.sends).toHaveLength(2);
    gate(1).release();
    gate(2).release();
    await eventually(() => buffer.stats().ackedSeq === 6);
    expect(producers[0]!.sends.map(seqsOf)).toEqual([[1, 2], [3, 4], [5, 6]]);
  });

  it('drops the batch built during a failed send and produces again from the cursor, losing and skipping nothing', async () => {
    const retriesExceeded = new KafkaJSNumberOfRetriesExceeded(new Error('Connection error: ECONNRESET'), { retryCount: 1, retryTime: 1 });
    const { producers } = shipperWith(async (_record, producerIndex, sendIndex) => {
      if (producerIndex === 0 && sendIndex === 1) throw retriesExceeded;
    }, { batchMaxEvents: 2 });
    await appendEvents(6);
    await eventually(() => buffer.stats().ackedSeq === 6);
    expect(producers[0]!.sends.map(seqsOf)).toEqual([[1, 2], [3, 4]]);
    expect(producers[1]!.sends.map(seqsOf)).toEqual([[3, 4], [5, 6]]);
  });

  it('writes the cursor of every acked batch before stop() returns, even while a send hangs', async () => {
    const { gate, answer } = gatedSends();
    const ack = buffer.ack.bind(buffer);
    vi.spyOn(buffer, 'ack').mockImplementation(async (uptoSeq) => {
      await sleepMs(100); // a slow cursor write (two fsyncs and a rename)
      await ack(uptoSeq);
    });
    const { shipper, producers } = shipperWith(answer, { batchMaxEvents: 2 });
    await appendEvents(4);
    gate(0).release();
    await eventually(() => producers[0]?.sends.length === 2);
    expect(buffer.stats().ackedSeq).toBe(0);
    await shipper.stop();
    expect(buffer.stats().ackedSeq).toBe(2);
  });

  it('recreates the producer after exhausted retries and resends the same events', async () => {
    const { shipper, producers } = shipperWith(async (_record, producerIndex) => {
      if (producerIndex === 0) throw new KafkaJSNumberOfRetriesExceeded(new Error('Connection error: ECONNREFUSED'), { retryCount: 1, retryTime: 1 });
    });
    const events = await appendEvents(4);
    await eventually(() => buffer.stats().ackedSeq === 4);
    expect(producers).toHaveLength(2);
    expect(producers[0]!.disconnected).toBe(true);
    expect(eventIdsOf(producers[0]!.sends[0]!)).toEqual(events.map((event) => event.event_id));
    expect(eventIdsOf(producers[1]!.sends[0]!)).toEqual(events.map((event) => event.event_id));
    expect(shipper.status()).toMatchObject({ state: 'shipping', acked_events: 4, last_error: null });
  });

  it('halves the batch while the broker refuses it as too large', async () => {
    const tooLarge = new KafkaJSProtocolError({ message: 'too large', type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false } as never);
    const { producers } = shipperWith(async (record) => {
      if (record.messages.length > 2) throw tooLarge;
    });
    await appendEvents(8);
    await eventually(() => buffer.stats().ackedSeq === 8);
    const sizes = producers.flatMap((producer) => producer.sends.map((record) => record.messages.length));
    expect(sizes.slice(0, 3)).toEqual([8, 4, 2]);
    expect(sizes.filter((size) => size <= 2).reduce((sum, size) => sum + size, 0)).toBe(8);
  });

  it('parks and keeps every event when the broker denies access to the topic', async () => {
    const denied = new KafkaJSProtocolError({ message: 'denied', type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false } as never);
    const { shipper } = shipperWith(async () => {
      throw denied;
    });
    await appendEvents(2);
    await eventually(() => shipper.status().state === 'halted');
    expect(shipper.status().last_error).toBe('denied');
    expect(buffer.stats().ackedSeq).toBe(0);
  });
});
