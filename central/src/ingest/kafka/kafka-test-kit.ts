/**
 * Helpers for the Kafka ingest integration tests and their child-process fixture: a private topic and
 * group per test on the shared broker, central's embedded queue/dead letters in a temp dir, and a
 * reader of what the queue holds.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Message } from 'kafkajs';
import { EmbeddedDb, EmbeddedDeadLetters, EmbeddedOrderStore } from '@retail-sync/libs/embedded';
import { createLogger, type Logger } from '@retail-sync/libs/log';
import type { EnqueueOutcome, QueuedEvent } from '@retail-sync/libs/ports';
import { EmbeddedQueue } from '../../queue/embedded/index.ts';
import { createIngestCore, type IngestCore } from '../ingest-core.ts';
import { kafkaIngestConfigSchema, type KafkaIngestSettings } from './config.ts';
import { ensureKafkaTopic } from './topic.ts';

export const TEST_SECRET = 'kafka-test-secret';

/** The brokers of `scripts/services up kafka`; a missing variable fails the run (never skips). */
export function requireBrokers(): string[] {
  const brokers = process.env.RS_KAFKA_BROKERS;
  if (!brokers) throw new Error('RS_KAFKA_BROKERS is not set: run `scripts/services up kafka` and `eval "$(scripts/services env --export)"`');
  return brokers.split(',').map((broker) => broker.trim());
}

export const testName = (what: string) => `rs-test-${what}-${randomUUID().slice(0, 8)}`;

export function testSettings(brokers: string[], topic: string, groupId: string, overrides: Partial<Record<keyof KafkaIngestSettings, unknown>> = {}): KafkaIngestSettings {
  return kafkaIngestConfigSchema.parse({
    RS_KAFKA_BROKERS: brokers.join(','),
    RS_KAFKA_TOPIC: topic,
    RS_KAFKA_GROUP_ID: groupId,
    RS_KAFKA_CLIENT_ID: 'rs-test-central',
    RS_KAFKA_SESSION_TIMEOUT_MS: 10_000,
    RS_KAFKA_HEARTBEAT_INTERVAL_MS: 1_000,
    RS_KAFKA_REBALANCE_TIMEOUT_MS: 10_000,
    RS_KAFKA_INGEST_BACKOFF_MAX_MS: 1_000,
    ...overrides,
  });
}

export async function createTestTopic(brokers: string[], topic: string, partitions: number, logger: Logger): Promise<void> {
  await ensureKafkaTopic({ brokers, topic, partitions, replicationFactor: 1, logger });
}

export async function deleteTestTopics(brokers: string[], topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = new Kafka({ clientId: 'rs-test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}

/** Produces prepared records as they are (good, forged or garbage) with a plain producer. */
export async function produceRaw(brokers: string[], topic: string, messages: Message[]): Promise<void> {
  const producer = new Kafka({ clientId: 'rs-test-producer', brokers, logLevel: logLevel.NOTHING }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    for (let start = 0; start < messages.length; start += 1_000) {
      await producer.send({ topic, acks: -1, messages: messages.slice(start, start + 1_000) });
    }
  } finally {
    await producer.disconnect();
  }
}

export interface EmbeddedCentral {
  queue: EmbeddedQueue;
  deadLetters: EmbeddedDeadLetters;
  core: IngestCore;
  /** Every event handed to enqueue, in call order, with the queue's answer. */
  enqueued: Array<{ event: QueuedEvent; outcome: EnqueueOutcome }>;
  logger: Logger;
  close(): Promise<void>;
}

/** Central's embedded queue, order store and dead letters under `dir`, and an ingest core over them. */
export async function openEmbeddedCentral(dir: string, options: { /** Delay after each enqueue resolved. */ slowEnqueueMs?: number; logLevel?: string } = {}): Promise<EmbeddedCentral> {
  const logger = createLogger({ service: 'kafka-test', level: options.logLevel ?? 'silent' });
  const queue = await EmbeddedQueue.open({ path: `${dir}/queue.duckdb` });
  const orderStore = await EmbeddedOrderStore.open(`${dir}/orders.duckdb`);
  const deadLetters = await EmbeddedDeadLetters.open(`${dir}/orders.duckdb`);
  await orderStore.migrate();
  await deadLetters.migrate();
  const enqueued: EmbeddedCentral['enqueued'] = [];
  const recordingQueue = {
    async enqueue(events: QueuedEvent[]) {
      const outcomes = await queue.enqueue(events);
      events.forEach((event, index) => enqueued.push({ event, outcome: outcomes[index]! }));
      // Durable but not yet acknowledged to the transport: the window a kill -9 should land in.
      if (options.slowEnqueueMs) await new Promise((resolve) => setTimeout(resolve, options.slowEnqueueMs));
      return outcomes;
    },
  };
  const core = createIngestCore({ queue: recordingQueue, orderStore, deadLetters, logger });
  return {
    queue,
    deadLetters,
    core,
    enqueued,
    logger,
    close: async () => {
      await queue.close();
      await deadLetters.close();
      await orderStore.close();
    },
  };
}

export interface QueuedJob {
  id: string;
  store_id: string;
  seq: number;
  sale_json: string;
}

/** Every job the queue file holds (any status), in enqueue order. */
export async function queuedJobs(queuePath: string): Promise<QueuedJob[]> {
  const db = await EmbeddedDb.acquire(queuePath);
  try {
    const rows = await db.all<{ id: string; store_id: string; seq: unknown; sale_json: string }>('SELECT id, store_id, seq, sale_json FROM queue_jobs ORDER BY position');
    return rows.map((row) => ({ ...row, seq: Number(row.seq) }));
  } finally {
    await db.release();
  }
}

export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
