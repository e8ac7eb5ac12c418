import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newEventId, newTraceId, storeKeyFor } from '@retail-sync/libs/domain';
import { kafkaSaleRecord, signKafkaValue } from '@retail-sync/libs/proto';
import { spawnServer } from '@retail-sync/libs/runtime';
import { saleFixture } from '../../test-fixtures.ts';
import type { IngestCore } from '../ingest-core.ts';
import { startKafkaIngest, type KafkaIngest } from './kafka-ingest.ts';
import {
  createTestTopic,
  deleteTestTopics,
  eventually,
  openEmbeddedCentral,
  produceRaw,
  queuedJobs,
  requireBrokers,
  TEST_SECRET,
  testName,
  testSettings,
  type EmbeddedCentral,
  type QueuedJob,
} from './kafka-test-kit.ts';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./kafka-consumer.fixture.ts', import.meta.url));
const run = promisify(execFile);

const brokers = requireBrokers();
const topics: string[] = [];
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  // Fails (never skips) when the broker is not there.
  const admin = new Kafka({ clientId: 'rs-test-probe', brokers, logLevel: logLevel.NOTHING, retry: { retries: 2 } }).admin();
  await admin.connect();
  await admin.disconnect();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await deleteTestTopics(brokers, topics);
});

async function tempDir(what: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `rs-kafka-${what}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function newTopic(partitions = 6): Promise<string> {
  const topic = testName('topic');
  topics.push(topic);
  await createTestTopic(brokers, topic, partitions, openLogger);
  return topic;
}

const openLogger = (await import('@retail-sync/libs/log')).createLogger({ service: 'kafka-int-test', level: 'silent' });

async function central(dir: string): Promise<EmbeddedCentral> {
  const opened = await openEmbeddedCentral(dir);
  cleanups.push(() => opened.close());
  return opened;
}

async function ingest(topic: string, group: string, embedded: EmbeddedCentral, core: IngestCore = embedded.core): Promise<KafkaIngest> {
  const started = await startKafkaIngest(testSettings(brokers, topic, group, { RS_KAFKA_INGEST_CHUNK_EVENTS: 200 }), {
    core,
    deadLetters: embedded.deadLetters,
    storeKeySecret: TEST_SECRET,
    logger: embedded.logger,
  });
  cleanups.push(() => started.close());
  return started;
}

/** Signed records the way a store writes them: seqs 1..count of `storeId`. */
function storeRecords(storeId: string, count: number): Message[] {
  return Array.from({ length: count }, (_, index) => {
    const seq = index + 1;
    const sale = saleFixture({ store_id: storeId, receipt_no: `r-${seq}` });
    const event = { event_id: newEventId(), store_id: storeId, seq, received_at: new Date().toISOString(), trace_id: newTraceId(), sale_json: JSON.stringify(sale), high_water_seq: count };
    return kafkaSaleRecord(event, storeKeyFor(TEST_SECRET, storeId));
  });
}

/** Every (store, seq) the test sent is in the queue exactly once, under the event_id it was sent with. */
function expectExactlyOnce(jobs: QueuedJob[], sent: Map<string, { store_id: string; seq: number }>): void {
  const bySeq = new Map<string, string[]>();
  for (const job of jobs) {
    const key = `${job.store_id}#${job.seq}`;
    bySeq.set(key, [...(bySeq.get(key) ?? []), job.id]);
  }
  const doubled = [...bySeq].filter(([, ids]) => ids.length > 1);
  expect(doubled).toEqual([]);
  const missing = [...sent].filter(([eventId]) => !jobs.some((job) => job.id === eventId));
  expect(missing).toEqual([]);
  expect(jobs).toHaveLength(sent.size);
  for (const job of jobs) expect(sent.get(job.id)).toEqual({ store_id: job.store_id, seq: job.seq });
}

const sentOf = (messages: Message[]) =>
  new Map(
    messages.map((message) => {
      const value = JSON.parse(String(message.value)) as { event_id: string; store_id: string; seq: number };
      return [value.event_id, { store_id: value.store_id, seq: value.seq }] as const;
    }),
  );

// ------------------------------------------------------------------------------------------------
// The real store process (tsx store/src/bin.ts, RS_TRANSPORT=kafka) as a black box: HTTP in, Kafka out.

interface StoreProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startStoreProcess(storeId: string, topic: string): Promise<StoreProcess> {
  const dir = await tempDir(`store-${storeId}`);
  const server = await spawnServer({
    cwd: REPO,
    entry: 'store/src/bin.ts',
    ports: { intake: undefined },
    healthPort: 'intake',
    logFile: join(dir, 'store.log'),
    label: `store ${storeId}`,
    timeoutMs: 30_000,
    env: (ports) => ({
      RS_TRANSPORT: 'kafka',
      RS_KAFKA_BROKERS: brokers.join(','),
      RS_KAFKA_TOPIC: topic,
      RS_STORE_ID: storeId,
      RS_STORE_PORT: String(ports.intake),
      RS_STORE_DATA_DIR: dir,
      RS_STORE_KEY_SECRET: TEST_SECRET,
      RS_LOG_LEVEL: 'warn',
      RS_KAFKA_SEND_RETRIES: '2',
      RS_SHIP_BACKOFF_MAX_MS: '1000',
    }),
  });
  const stop = () => server.stop('SIGTERM');
  cleanups.push(stop);
  return { url: `http://127.0.0.1:${server.ports.intake}`, child: server.child, stop };
}

/** POSTs `count` sales to a store; returns event_id → (store, seq) as the store assigned them. */
async function postSales(store: StoreProcess, storeId: string, firstReceipt: number, count: number): Promise<Map<string, { store_id: string; seq: number }>> {
  const sales = Array.from({ length: count }, (_, index) => saleFixture({ store_id: storeId, receipt_no: `r-${firstReceipt + index}` }));
  const response = await fetch(`${store.url}/v1/sales`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sales }) });
  expect(response.status).toBe(202);
  const { results } = (await response.json()) as { results: Array<{ status: string; event_id: string; seq: number }> };
  expect(results.every((result) => result.status === 'accepted')).toBe(true);
  return new Map(results.map((result) => [result.event_id, { store_id: storeId, seq: result.seq }]));
}

async function storeAckedSeq(store: StoreProcess): Promise<number> {
  const status = (await (await fetch(`${store.url}/v1/status`)).json()) as { acked_seq: number };
  return status.acked_seq;
}

const acceptedCount = (embedded: EmbeddedCentral) => embedded.enqueued.filter((entry) => entry.outcome === 'accepted').length;
const duplicateCount = (embedded: EmbeddedCentral) => embedded.enqueued.filter((entry) => entry.outcome === 'duplicate').length;

describe('Kafka transport against a real broker', () => {
  it('delivers every event of two store processes into the queue exactly once, each store in seq order', async () => {
    const topic = await newTopic();
    const dir = await tempDir('e2e');
    const embedded = await central(dir);
    await ingest(topic, testName('group'), embedded);
    const stores = await Promise.all(['nyc-001', 'bos-001'].map((id) => startStoreProcess(id, topic)));
    const sent = new Map<string, { store_id: string; seq: number }>();
    for (let round = 0; round < 4; round += 1) {
      for (const [index, id] of ['nyc-001', 'bos-001'].entries()) {
        for (const [eventId, where] of await postSales(stores[index]!, id, round * 500, 500)) sent.set(eventId, where);
      }
    }
    await eventually(() => acceptedCount(embedded) === sent.size, 60_000, `${sent.size} events in the queue`);
    for (const store of stores) expect(await storeAckedSeq(store)).toBe(2_000);

    expectExactlyOnce(await queuedJobs(`${dir}/queue.duckdb`), sent);
    for (const id of ['nyc-001', 'bos-001']) {
      const firstSeen = embedded.enqueued.filter((entry) => entry.outcome === 'accepted' && entry.event.store_id === id).map((entry) => entry.event.seq);
      expect(firstSeen).toEqual(Array.from({ length: 2_000 }, (_, index) => index + 1));
    }
    const sample = (await queuedJobs(`${dir}/queue.duckdb`)).find((job) => job.store_id === 'bos-001' && job.seq === 1_500)!;
    expect(JSON.parse(sample.sale_json)).toMatchObject({ store_id: 'bos-001', receipt_no: 'r-1499' });
  });

  it('loses and doubles nothing when the broker is killed and restarted mid-stream, and is not ready while it is gone', async () => {
    const topic = await newTopic();
    const dir = await tempDir('broker-kill');
    const embedded = await central(dir);
    const consumer = await ingest(topic, testName('group'), embedded);
    const unhealthy = () => consumer.health().then(() => undefined, (error: Error) => error.message);
    await eventually(async () => (await unhealthy()) === undefined, 60_000, 'the consumer to join its group (ready)');
    const store = await startStoreProcess('nyc-001', topic);
    const sent = new Map<string, { store_id: string; seq: number }>();
    const post = async (from: number, count: number) => {
      for (const [eventId, where] of await postSales(store, 'nyc-001', from, count)) sent.set(eventId, where);
    };
    // Sales keep coming the whole time, so the kill lands while records are in flight both ways.
    let posting = true;
    const poster = (async () => {
      for (let from = 0; posting; from += 50) {
        await post(from, 50);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    cleanups.push(async () => {
      posting = false;
      await poster.catch(() => undefined);
    });
    await eventually(() => acceptedCount(embedded) >= 500, 60_000, 'the first events in the queue');

    await run(join(REPO, 'scripts/services'), ['kill', 'kafka']);
    const queuedAtKill = acceptedCount(embedded);
    let whyNotReady: string | undefined;
    try {
      // The store keeps taking sales into its buffer while the broker is gone; central is not ready.
      await eventually(async () => (whyNotReady = await unhealthy()) !== undefined, 10_000, 'the ingest to report the broker gone');
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    } finally {
      await run(join(REPO, 'scripts/services'), ['up', 'kafka'], { timeout: 120_000 });
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    posting = false;
    await poster;
    expect(sent.size).toBeGreaterThan(queuedAtKill + 500);

    expect(whyNotReady).toMatch(/^Kafka (brokers .* unreachable|consumer )/);
    await eventually(async () => (await unhealthy()) === undefined, 120_000, 'the ingest to be ready again after the broker restart');
    await eventually(() => acceptedCount(embedded) === sent.size, 120_000, `${sent.size} events in the queue after the broker restart`);
    await eventually(async () => (await storeAckedSeq(store)) === sent.size, 60_000, `the store cursor to reach ${sent.size}`);
    expectExactlyOnce(await queuedJobs(`${dir}/queue.duckdb`), sent);
    console.info(`broker kill: ${sent.size} events (${queuedAtKill} queued at the kill), ${duplicateCount(embedded)} re-deliveries absorbed as duplicates`);
  });

  it('re-delivers what a kill -9 consumer had not committed and absorbs the duplicates', async () => {
    const topic = await newTopic();
    const dir = await tempDir('consumer-kill');
    const group = testName('group');
    const messages = ['nyc-001', 'bos-001', 'chi-001'].flatMap((id) => storeRecords(id, 1_000));
    await produceRaw(brokers, topic, messages);

    const spawnConsumer = (slowMs: number) => {
      const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir, topic, group, String(slowMs)], { cwd: REPO, env: { ...process.env, RS_KAFKA_BROKERS: brokers.join(',') }, stdio: ['ignore', 'pipe', 'inherit'] });
      const state = { accepted: 0, duplicates: 0, queued: 0, exited: new Promise<void>((resolve) => child.once('exit', () => resolve())) };
      child.stdout!.setEncoding('utf8').on('data', (text: string) => {
        for (const match of text.matchAll(/accepted (\d+) duplicates (\d+) queued (\d+)/g)) {
          [state.accepted, state.duplicates, state.queued] = [Number(match[1]), Number(match[2]), Number(match[3])];
        }
      });
      cleanups.push(async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await state.exited;
      });
      return { child, state };
    };

    const first = spawnConsumer(300);
    await eventually(() => first.state.accepted >= 600, 60_000, 'the first consumer to enqueue 600 events');
    first.child.kill('SIGKILL');
    await first.state.exited;
    const killedAfter = first.state.accepted;

    const second = spawnConsumer(0);
    await eventually(() => second.state.queued >= messages.length || second.child.exitCode !== null, 90_000, 'the second consumer to enqueue the rest');
    // Let it commit, then stop it gracefully so the queue file can be read here.
    await new Promise((resolve) => setTimeout(resolve, 500));
    second.child.kill('SIGTERM');
    await second.state.exited;

    const jobs = await queuedJobs(`${dir}/queue.duckdb`);
    expectExactlyOnce(jobs, sentOf(messages));
    // The killed consumer had enqueued a chunk it never committed: it came again and was absorbed.
    expect(second.state.duplicates).toBeGreaterThan(0);
    console.info(`consumer kill -9: first consumer reported ${killedAfter} accepted before SIGKILL; second accepted ${second.state.accepted} and absorbed ${second.state.duplicates} duplicates; queue holds ${jobs.length}/${messages.length}`);
  });

  it('shares the partitions between two replicas through rebalances and queues every event once', async () => {
    const topic = await newTopic(6);
    const dir = await tempDir('replicas');
    const group = testName('group');
    const embedded = await central(dir);
    const handled = { a: 0, b: 0 };
    const countingCore = (replica: 'a' | 'b'): IngestCore => ({
      ingestBatch: async (storeId, batch) => {
        const acks = await embedded.core.ingestBatch(storeId, batch);
        handled[replica] += batch.events.length;
        return acks;
      },
    });
    const storeIds = Array.from({ length: 12 }, (_, index) => `st-${String(index + 1).padStart(3, '0')}`);
    const perStore = storeIds.map((id) => storeRecords(id, 400));
    const all = perStore.flat();
    const rounds = 8;
    const producing = (async () => {
      for (let round = 0; round < rounds; round += 1) {
        await produceRaw(brokers, topic, perStore.flatMap((records) => records.slice((round * 400) / rounds, ((round + 1) * 400) / rounds)));
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();

    const replicaA = await ingest(topic, group, embedded, countingCore('a'));
    await eventually(() => acceptedCount(embedded) >= 300, 60_000, 'replica A to start');
    await ingest(topic, group, embedded, countingCore('b'));
    await eventually(() => handled.b > 0, 60_000, 'replica B to get partitions');
    await producing;
    await eventually(() => acceptedCount(embedded) >= all.length * 0.7, 60_000, '70 % of the events');
    await replicaA.close(); // its partitions move to B
    await eventually(() => acceptedCount(embedded) === all.length, 60_000, `${all.length} events in the queue`);

    expectExactlyOnce(await queuedJobs(`${dir}/queue.duckdb`), sentOf(all));
    expect(handled.a).toBeGreaterThan(0);
    for (const id of storeIds) {
      const firstSeen = embedded.enqueued.filter((entry) => entry.outcome === 'accepted' && entry.event.store_id === id).map((entry) => entry.event.seq);
      expect(firstSeen).toEqual(Array.from({ length: 400 }, (_, index) => index + 1));
    }
    console.info(`replicas: A handled ${handled.a}, B handled ${handled.b}, ${duplicateCount(embedded)} duplicates absorbed`);
  });

  it('dead-letters a poison record and a bad signature with their reasons and keeps the partition moving', async () => {
    const topic = await newTopic(1);
    const dir = await tempDir('poison');
    const group = testName('group');
    const embedded = await central(dir);
    const [good1, good2, forgedSource] = storeRecords('nyc-001', 3);
    const garbage = Buffer.from([0x00, 0xff, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef]);
    const forged = { ...forgedSource!, headers: { ...forgedSource!.headers, 'x-store-signature': signKafkaValue(storeKeyFor('not-the-secret', 'nyc-001'), forgedSource!.value as Buffer) } };
    const signedGarbage = { key: 'nyc-001', value: garbage, headers: { 'x-store-id': 'nyc-001', 'x-store-signature': signKafkaValue(storeKeyFor(TEST_SECRET, 'nyc-001'), garbage) } };
    await produceRaw(brokers, topic, [good1!, { key: 'nyc-001', value: garbage }, forged, signedGarbage, good2!]);

    await ingest(topic, group, embedded);
    await eventually(() => acceptedCount(embedded) === 2, 30_000, 'the two good records in the queue');
    await eventually(async () => (await embedded.deadLetters.list()).length === 3, 30_000, 'three dead letters');

    const letters = (await embedded.deadLetters.list()).sort((a, b) => a.id.localeCompare(b.id));
    expect(letters.map((letter) => [letter.id, letter.stage, letter.reason_code, letter.store_id])).toEqual([
      [`kafka:${topic}:0:1`, 'kafka', 'RS_ERR_UNAUTHENTICATED', null],
      [`kafka:${topic}:0:2`, 'kafka', 'RS_ERR_UNAUTHENTICATED', null],
      [`kafka:${topic}:0:3`, 'kafka', 'RS_ERR_INVALID_EVENT', 'nyc-001'],
    ]);
    expect(letters[0]!.reason).toMatch(/missing x-store-id/);
    expect(letters[0]!.payload).toBe(garbage.toString('base64'));
    expect(letters[1]!.reason).toBe("signature is not valid for store 'nyc-001'");
    expect(letters[1]!.payload).toBe(String(forged.value));
    expect(letters[2]!.reason).toMatch(/^undecodable record: value is not UTF-8 JSON/);
    expect(embedded.enqueued.map((entry) => entry.event.seq)).toEqual([1, 2]);

    // Offsets past the poison were committed: the group's position is the end of the partition.
    const admin = new Kafka({ clientId: 'rs-test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await eventually(async () => {
        const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        return offsets?.partitions[0]?.offset === '5';
      }, 10_000, 'the committed offset to reach 5');
    } finally {
      await admin.disconnect();
    }
  });
});
