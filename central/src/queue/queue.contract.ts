/**
 * The QueuePort contract as one suite, run against every queue adapter (embedded now, BullMQ later)
 * through a factory. Timings are kept short by the factory's lease and the options used here.
 */
import { newEventId, newTraceId } from '@retail-sync/libs/domain';
import { commonErrors } from '@retail-sync/libs/errors';
import type { ConsumeOptions, FailedJob, QueuedEvent, QueuePort } from '@retail-sync/libs/ports';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

export interface QueueUnderTest {
  queue: QueuePort;
  /** Closes nothing: opens another handle on the same durable queue, as a restarted process would. */
  reopen(): Promise<QueuePort>;
  /** Makes `queue`'s consumers die as in a crash: running jobs are neither completed nor renewed. */
  crashConsumers(queue: QueuePort): void;
  /** After how long a crashed consumer's jobs are redelivered at most. */
  stallAfterMs: number;
  cleanup(): Promise<void>;
}

export type QueueFactory = () => Promise<QueueUnderTest>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function queuedEventFixture(overrides: Partial<QueuedEvent> = {}): QueuedEvent {
  return {
    event_id: newEventId(),
    store_id: 'nyc-001',
    seq: 1,
    received_at: new Date().toISOString(),
    trace_id: newTraceId(),
    sale_json: '{"receipt_no":"r-1"}',
    ...overrides,
  };
}

/** Polls `condition` until true or `timeoutMs` passes. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

const options: ConsumeOptions = { concurrency: 4, attempts: 3, backoffMs: 40 };
const retriable = () => commonErrors.create('RS_ERR_DEPENDENCY_UNAVAILABLE', 'order store down');
const notRetriable = () => commonErrors.create('RS_ERR_UNKNOWN_PRODUCT', 'lines.0.sku: unknown product x');

export function describeQueueContract(name: string, factory: QueueFactory): void {
  describe(`QueuePort contract: ${name}`, () => {
    let harness: QueueUnderTest;
    let queue: QueuePort;
    const givenUp: FailedJob[] = [];
    const onGiveUp = async (job: FailedJob) => {
      givenUp.push(job);
    };
    const drained = async (q: QueuePort = queue) => {
      const counts = await q.counts();
      return counts.waiting + counts.active + counts.delayed === 0;
    };

    beforeEach(async () => {
      harness = await factory();
      queue = harness.queue;
      givenUp.length = 0;
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    it('answers duplicate for an event_id already queued and processes it once', async () => {
      const event = queuedEventFixture();
      const other = queuedEventFixture({ seq: 2 });
      expect(await queue.enqueue([event, other, event])).toEqual(['accepted', 'accepted', 'duplicate']);
      expect(await queue.enqueue([event])).toEqual(['duplicate']);
      expect((await queue.counts()).waiting).toBe(2);
      const seen: string[] = [];
      const consumer = queue.consume(async (job) => void seen.push(job.event_id), onGiveUp, options);
      await eventually(() => seen.length === 2 && drained());
      expect(await queue.enqueue([event])).toEqual(['duplicate']);
      await sleep(100);
      await consumer.close();
      expect(seen.sort()).toEqual([event.event_id, other.event_id].sort());
    });

    it('hands the processor the event as enqueued', async () => {
      const event = queuedEventFixture({ sale_json: '{"ünï":"✓", "n": 1}' });
      const received: QueuedEvent[] = [];
      await queue.enqueue([event]);
      const consumer = queue.consume(async (job) => void received.push(job), onGiveUp, options);
      await eventually(() => received.length === 1);
      await consumer.close();
      expect(received).toEqual([event]);
    });

    it('retries a retriable failure with exponential backoff until it succeeds', async () => {
      const tries: Array<{ attempt: number; at: number }> = [];
      await queue.enqueue([queuedEventFixture()]);
      const consumer = queue.consume(
        async (_job, attempt) => {
          tries.push({ attempt, at: Date.now() });
          if (attempt < 3) throw retriable();
        },
        onGiveUp,
        options,
      );
      await eventually(async () => tries.length === 3 && (await drained()));
      await consumer.close();
      expect(tries.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
      expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(options.backoffMs - 5);
      expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(2 * options.backoffMs - 5);
      expect(givenUp).toEqual([]);
    });

    it('gives a non-retriable failure up at once, exactly once', async () => {
      const event = queuedEventFixture();
      let calls = 0;
      await queue.enqueue([event]);
      const consumer = queue.consume(
        async () => {
          calls += 1;
          throw notRetriable();
        },
        onGiveUp,
        options,
      );
      await eventually(async () => givenUp.length === 1 && (await drained()));
      await sleep(150);
      await consumer.close();
      expect(calls).toBe(1);
      expect(givenUp).toHaveLength(1);
      expect(givenUp[0]).toMatchObject({ event, attemptsMade: 1, error: { code: 'RS_ERR_UNKNOWN_PRODUCT' } });
      expect((await queue.counts()).failed).toBe(1);
    });

    it('gives a job up after its last attempt', async () => {
      let calls = 0;
      await queue.enqueue([queuedEventFixture()]);
      const consumer = queue.consume(
        async () => {
          calls += 1;
          throw retriable();
        },
        onGiveUp,
        { ...options, backoffMs: 5 },
      );
      await eventually(async () => givenUp.length === 1 && (await drained()));
      await consumer.close();
      expect(calls).toBe(options.attempts);
      expect(givenUp[0]).toMatchObject({ attemptsMade: options.attempts, error: { code: 'RS_ERR_DEPENDENCY_UNAVAILABLE' } });
    });

    it('keeps a job whose dead letter could not be written and gives it up again later', async () => {
      let giveUps = 0;
      await queue.enqueue([queuedEventFixture()]);
      const consumer = queue.consume(
        async () => {
          throw notRetriable();
        },
        async (job) => {
          giveUps += 1;
          if (giveUps === 1) throw retriable();
          givenUp.push(job);
        },
        { ...options, backoffMs: 5 },
      );
      await eventually(async () => givenUp.length === 1 && (await drained()));
      await consumer.close();
      expect(giveUps).toBe(2);
      expect(givenUp[0]).toMatchObject({ error: { code: 'RS_ERR_UNKNOWN_PRODUCT' } });
    });

    it('accepts a given-up event again, so a dead-letter replay goes through the queue', async () => {
      const event = queuedEventFixture();
      await queue.enqueue([event]);
      let fail = true;
      const processed: string[] = [];
      const consumer = queue.consume(
        async (job) => {
          if (fail) throw notRetriable();
          processed.push(job.event_id);
        },
        onGiveUp,
        options,
      );
      await eventually(async () => givenUp.length === 1 && (await drained()));
      fail = false;
      expect(await queue.enqueue([event])).toEqual(['accepted']);
      await eventually(() => processed.length === 1);
      await eventually(() => drained());
      expect(await queue.enqueue([event])).toEqual(['duplicate']);
      await consumer.close();
    });

    it("redelivers a crashed consumer's job to another consumer", async () => {
      const event = queuedEventFixture();
      await queue.enqueue([event]);
      let firstStarted = false;
      queue.consume(
        () => {
          firstStarted = true;
          return new Promise<void>(() => undefined); // hangs: the process "dies" mid-job
        },
        onGiveUp,
        options,
      );
      await eventually(() => firstStarted);
      harness.crashConsumers(queue);
      const survivor = await harness.reopen();
      const redelivered: Array<{ id: string; attempt: number }> = [];
      const consumer = survivor.consume(async (job, attempt) => void redelivered.push({ id: job.event_id, attempt }), onGiveUp, options);
      await eventually(() => redelivered.length === 1, harness.stallAfterMs + 5_000);
      await consumer.close();
      expect(redelivered).toEqual([{ id: event.event_id, attempt: 2 }]);
      await survivor.close();
    });

    it('resolves enqueue only once the job is durable: a restarted queue still has it', async () => {
      const events = [queuedEventFixture({ seq: 1 }), queuedEventFixture({ seq: 2 })];
      await queue.enqueue(events);
      await queue.close();
      const restarted = await harness.reopen();
      expect((await restarted.counts()).waiting).toBe(2);
      const seen: number[] = [];
      const consumer = restarted.consume(async (job) => void seen.push(job.seq), onGiveUp, { ...options, concurrency: 1 });
      await eventually(() => seen.length === 2);
      await consumer.close();
      await restarted.close();
      expect(seen).toEqual([1, 2]);
    });

    it('with concurrency 1 processes jobs in enqueue order', async () => {
      const events = Array.from({ length: 20 }, (_, index) => queuedEventFixture({ seq: index + 1 }));
      await queue.enqueue(events.slice(0, 10));
      await queue.enqueue(events.slice(10));
      const seen: number[] = [];
      const consumer = queue.consume(async (job) => void seen.push(job.seq), onGiveUp, { ...options, concurrency: 1 });
      await eventually(() => seen.length === 20);
      await consumer.close();
      expect(seen).toEqual(events.map((event) => event.seq));
    });

    it('close waits for running jobs to finish', async () => {
      await queue.enqueue([queuedEventFixture()]);
      let finished = false;
      let started = false;
      const consumer = queue.consume(
        async () => {
          started = true;
          await sleep(150);
          finished = true;
        },
        onGiveUp,
        options,
      );
      await eventually(() => started);
      await consumer.close();
      expect(finished).toBe(true);
      expect(await drained()).toBe(true);
    });

    it('counts waiting and delayed jobs', async () => {
      await queue.enqueue([queuedEventFixture(), queuedEventFixture()]);
      expect(await queue.counts()).toEqual({ waiting: 2, active: 0, delayed: 0, failed: 0 });
      const consumer = queue.consume(async () => {
        throw retriable();
      }, onGiveUp, { ...options, backoffMs: 60_000 });
      await eventually(async () => (await queue.counts()).delayed === 2);
      await consumer.close();
      expect(await queue.counts()).toEqual({ waiting: 0, active: 0, delayed: 2, failed: 0 });
    });
  });
}
