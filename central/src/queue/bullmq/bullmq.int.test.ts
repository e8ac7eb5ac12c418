/**
 * BullMQ queue against the project's Redis (scripts/services up redis; RS_REDIS_URL from
 * `scripts/services env`). Every test uses its own `rs-test-<random>` queue and obliterates it.
 * The restart and kill tests bounce the shared Redis once each.
 */
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { commonErrors } from '@retail-sync/libs/errors';
import { createLogger } from '@retail-sync/libs/log';
import type { FailedJob, QueuedEvent } from '@retail-sync/libs/ports';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeQueueContract, eventually, queuedEventFixture } from '../queue.contract.ts';
import type { BullmqQueueOptions } from './config.ts';
import { BullmqQueue } from './queue.ts';
import { requireRedisUrl, TEST_LOCK_MS, TEST_STALLED_INTERVAL_MS, testQueueOptions } from './testing/redis-test-env.ts';

const logger = createLogger({ service: 'bullmq-int-test', level: process.env.RS_TEST_LOG_LEVEL ?? 'silent' });
const servicesScript = fileURLToPath(new URL('../../../../scripts/services', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

requireRedisUrl();

/** Opens handles on one test queue and obliterates it at the end. */
function queueHarness(overrides: Partial<BullmqQueueOptions> = {}) {
  const options = testQueueOptions(overrides);
  const handles: BullmqQueue[] = [];
  const open = () => {
    const handle = new BullmqQueue(options, logger);
    handles.push(handle);
    return handle;
  };
  return {
    options,
    open,
    async cleanup() {
      await Promise.all(handles.map((handle) => handle.abandonConsumers()));
      await Promise.all(handles.map((handle) => handle.close()));
      const sweeper = new BullmqQueue(options, logger);
      await sweeper.obliterate();
      await sweeper.close();
    },
  };
}

describeQueueContract('bullmq (Redis)', async () => {
  const harness = queueHarness();
  const queue = harness.open();
  return {
    queue,
    reopen: async () => harness.open(),
    crashConsumers: (handle) => void (handle as BullmqQueue).abandonConsumers(),
    stallAfterMs: TEST_LOCK_MS + TEST_STALLED_INTERVAL_MS,
    cleanup: harness.cleanup,
  };
});

describe('BullmqQueue', () => {
  let harness: ReturnType<typeof queueHarness>;
  let recorder: Redis;
  beforeAll(() => {
    recorder = new Redis(requireRedisUrl());
  });
  afterAll(async () => {
    await recorder.quit();
  });
  afterEach(async () => {
    await harness.cleanup();
  });

  it('answers duplicate to a second enqueue of the same event and processes it once', async () => {
    harness = queueHarness();
    const queue = harness.open();
    const event = queuedEventFixture();
    expect(await queue.enqueue([event])).toEqual(['accepted']);
    expect(await queue.enqueue([event])).toEqual(['duplicate']);
    const processed: string[] = [];
    const consumer = queue.consume(async (job) => void processed.push(job.event_id), async () => undefined, { concurrency: 4, attempts: 3, backoffMs: 10 });
    await eventually(() => processed.length === 1);
    expect(await queue.enqueue([event])).toEqual(['duplicate']);
    await sleep(300);
    await consumer.close();
    expect(processed).toEqual([event.event_id]);
  });

  it('lets exactly one of two replicas racing on the same events report them accepted', async () => {
    harness = queueHarness();
    const [replicaA, replicaB] = [harness.open(), harness.open()];
    const events = Array.from({ length: 200 }, (_, index) => queuedEventFixture({ seq: index + 1 }));
    const [outcomesA, outcomesB] = await Promise.all([replicaA.enqueue(events), replicaB.enqueue(events)]);
    events.forEach((_, index) => {
      expect([outcomesA[index], outcomesB[index]].sort()).toEqual(['accepted', 'duplicate']);
    });
    expect((await replicaA.counts()).waiting).toBe(200);
  });

  it('gives a non-retriable failure up once and an exhausted retriable one once, each after the right tries', async () => {
    harness = queueHarness();
    const queue = harness.open();
    const bad = queuedEventFixture({ sale_json: '{"bad":true}' });
    const flaky = queuedEventFixture({ sale_json: '{"flaky":true}' });
    const calls = new Map<string, number>();
    const givenUp: FailedJob[] = [];
    await queue.enqueue([bad, flaky]);
    const consumer = queue.consume(
      async (job) => {
        calls.set(job.event_id, (calls.get(job.event_id) ?? 0) + 1);
        if (job.event_id === bad.event_id) throw commonErrors.create('RS_ERR_UNKNOWN_PRODUCT', 'lines.0.sku: unknown product');
        throw commonErrors.create('RS_ERR_DEPENDENCY_UNAVAILABLE', 'order store down');
      },
      async (job) => void givenUp.push(job),
      { concurrency: 2, attempts: 4, backoffMs: 10 },
    );
    await eventually(() => givenUp.length === 2, 10_000);
    await sleep(300);
    await consumer.close();
    expect(calls.get(bad.event_id)).toBe(1);
    expect(calls.get(flaky.event_id)).toBe(4);
    const byId = new Map(givenUp.map((job) => [job.event.event_id, job]));
    expect(byId.get(bad.event_id)).toMatchObject({ attemptsMade: 1, error: { code: 'RS_ERR_UNKNOWN_PRODUCT' } });
    expect(byId.get(flaky.event_id)).toMatchObject({ attemptsMade: 4, error: { code: 'RS_ERR_DEPENDENCY_UNAVAILABLE' } });
    expect(await queue.counts()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 2 });
  });

  it('dead-letters a job whose consumers keep dying instead of failing it silently', async () => {
    harness = queueHarness();
    const event = queuedEventFixture();
    await harness.open().enqueue([event]);
    const options = { concurrency: 1, attempts: 2, backoffMs: 10 };
    for (let crash = 1; crash <= 2; crash += 1) {
      const doomed = harness.open();
      let started = false;
      doomed.consume(() => ((started = true), new Promise<void>(() => undefined)), async () => undefined, options);
      await eventually(() => started, 10_000);
      await doomed.abandonConsumers();
    }
    const givenUp: FailedJob[] = [];
    let processorCalls = 0;
    const survivor = harness.open();
    const consumer = survivor.consume(async () => void (processorCalls += 1), async (job) => void givenUp.push(job), options);
    await eventually(() => givenUp.length === 1, 10_000);
    await consumer.close();
    expect(processorCalls).toBe(0);
    expect(givenUp[0]).toMatchObject({ event, error: { code: 'RS_ERR_JOB_STALLED' } });
  });

  it('loses nothing when a worker process is killed with kill -9 mid-job: another finishes it exactly once', async () => {
    harness = queueHarness();
    const queue = harness.open();
    const startedKey = `rs-test-recorder:${harness.options.queueName}:started`;
    const completedKey = `rs-test-recorder:${harness.options.queueName}:completed`;
    const event = queuedEventFixture();
    await queue.enqueue([event]);
    const script = fileURLToPath(new URL('./testing/stalling-worker.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(harness.options), startedKey], { stdio: 'inherit' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    try {
      await eventually(async () => (await recorder.llen(startedKey)) === 1, 30_000);
      expect((await queue.counts()).active).toBe(1);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const consumer = queue.consume(
        async (job, attempt) => {
          await recorder.rpush(startedKey, `parent:${job.event_id}`);
          await recorder.rpush(completedKey, `${job.event_id}:${attempt}`);
        },
        async () => undefined,
        { concurrency: 4, attempts: 3, backoffMs: 10 },
      );
      await eventually(async () => (await recorder.llen(completedKey)) === 1, TEST_LOCK_MS + TEST_STALLED_INTERVAL_MS + 10_000);
      await sleep(2 * (TEST_LOCK_MS + TEST_STALLED_INTERVAL_MS));
      await consumer.close();
      expect(await recorder.lrange(completedKey, 0, -1)).toEqual([`${event.event_id}:2`]);
      expect(await recorder.lrange(startedKey, 0, -1)).toEqual([`child:${child.pid}:${event.event_id}`, `parent:${event.event_id}`]);
      expect(await queue.counts()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    } finally {
      child.kill('SIGKILL');
      await recorder.del(startedKey, completedKey);
    }
  });

  it('keeps every acknowledged event across a Redis restart (SIGTERM, AOF flushed)', async () => {
    harness = queueHarness();
    const events = Array.from({ length: 5_000 }, (_, index) => queuedEventFixture({ seq: index + 1 }));
    const producer = harness.open();
    for (let start = 0; start < events.length; start += 500) {
      expect(new Set(await producer.enqueue(events.slice(start, start + 500)))).toEqual(new Set(['accepted']));
    }
    execFileSync(servicesScript, ['restart', 'redis'], { stdio: 'inherit' });
    const consumerSide = harness.open();
    const seen = new Set<string>();
    const consumer = consumerSide.consume(async (job: QueuedEvent) => void seen.add(job.event_id), async () => undefined, { concurrency: 16, attempts: 3, backoffMs: 10 });
    await eventually(() => seen.size === events.length, 60_000);
    await consumer.close();
    expect([...seen].sort()).toEqual(events.map((event) => event.event_id).sort());
    // The producer's own connection came back too.
    expect(await producer.enqueue([events[0]!])).toEqual(['duplicate']);
  });

  it('after kill -9 of Redis (appendfsync everysec) keeps what was acked over 1 s before, as a gap-free prefix', async () => {
    harness = queueHarness();
    const producer = harness.open();
    const settled = Array.from({ length: 2_000 }, (_, index) => queuedEventFixture({ seq: index + 1 }));
    const recent = Array.from({ length: 20_000 }, (_, index) => queuedEventFixture({ seq: settled.length + index + 1 }));
    for (let start = 0; start < settled.length; start += 500) await producer.enqueue(settled.slice(start, start + 500));
    await sleep(2_500);
    let acked = 0;
    for (let start = 0; start < recent.length; start += 500) {
      await producer.enqueue(recent.slice(start, start + 500));
      acked += Math.min(500, recent.length - start);
    }
    execFileSync(servicesScript, ['kill', 'redis'], { stdio: 'inherit' });
    execFileSync(servicesScript, ['up', 'redis'], { stdio: 'inherit' });
    const survivors = new Set(await recorderAfterRestart().then(async (client) => {
      try {
        return await client.lrange(`${harness.options.prefix}:${harness.options.queueName}:wait`, 0, -1);
      } finally {
        await client.quit();
      }
    }));
    const recentSurvivors = recent.filter((event) => survivors.has(event.event_id)).length;
    console.info(`redis kill -9: ${settled.length}/${settled.length} settled and ${recentSurvivors}/${acked} just-acked jobs survived`);
    expect(settled.every((event) => survivors.has(event.event_id))).toBe(true);
    // The AOF is replayed in order and only its tail can be missing: survivors are a prefix.
    expect(recent.slice(0, recentSurvivors).every((event) => survivors.has(event.event_id))).toBe(true);
    expect(survivors.size).toBe(settled.length + recentSurvivors);
  });

  async function recorderAfterRestart(): Promise<Redis> {
    const client = new Redis(requireRedisUrl());
    await eventually(async () => (await client.ping().catch(() => '')) === 'PONG', 30_000);
    return client;
  }
});
