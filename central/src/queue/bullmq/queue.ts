/**
 * The BullMQ queue: QueuePort on Redis, one job per event with job id = event_id.
 *
 * Invariants:
 * - `enqueue` resolves only after Redis answered every write, i.e. the jobs are in Redis' memory and
 *   its AOF buffer. With `appendfsync everysec` a Redis *process* restart loses nothing, but a host
 *   crash may lose up to ~1 s of acked jobs; RS_REDIS_WAIT_AOF=true (Redis ≥ 7.2) closes that gap.
 * - BullMQ's add is one Lua script per job (EXISTS jobKey, else store), so one event_id never has two
 *   live jobs. Its reply is the id either way, so each enqueue call tags the jobs it adds with its own
 *   name (`sale:<token>`) and reads the names back (job-owners.lua, queued in the same pipeline right
 *   after the adds: one round trip per batch): the one caller whose token is stored answers
 *   'accepted', every other (a retry, a second ingest replica racing it) answers 'duplicate'.
 * - 'duplicate' lasts while the job key lives: waiting, active, delayed, or completed within the dedupe
 *   window (RS_QUEUE_DEDUPE_WINDOW_MS / RS_BULLMQ_KEEP_COMPLETED, evaluated lazily by BullMQ when other
 *   jobs finish). A given-up job (failed set, already dead-lettered) is removed and queued again, so a
 *   dead-letter replay goes through the queue.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { commonErrors, RetailSyncError } from '@retail-sync/libs/errors';
import type { Logger } from '@retail-sync/libs/log';
import type { ConsumeOptions, EnqueueOutcome, EventProcessor, FailedJob, QueueConsumer, QueueCounts, QueuedEvent, QueuePort } from '@retail-sync/libs/ports';
import { Job, Queue, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { BullmqQueueOptions } from './config.ts';
import { BACKOFF_TYPE, BullmqConsumer, eventOf, UNBOUNDED } from './consumer.ts';
import { shouldRetry } from './retry.ts';

const JOB_NAME_PREFIX = 'sale:';
const JOB_OWNERS_LUA = readFileSync(new URL('./job-owners.lua', import.meta.url), 'utf8');

/** job-owners.lua's answer per id (1 = another enqueue's live job: duplicate). */
const JobOwner = { Ours: 0, Duplicate: 1, GivenUp: 2 } as const;
type JobOwner = (typeof JobOwner)[keyof typeof JobOwner];

/** The pipeline BullMQ's Redis backend queues its add scripts on, plus our script (defineCommand). */
interface OwnersPipeline {
  rsJobOwners(numberOfKeys: number, ...keysThenArgs: string[]): unknown;
  exec(): Promise<[Error | null, unknown][] | null>;
}

export class BullmqQueue implements QueuePort {
  private readonly producer: Redis;
  private readonly queue: Queue<QueuedEvent, void>;
  private readonly consumers = new Set<BullmqConsumer>();
  private readonly jobOptions: JobsOptions;
  private serverChecked: Promise<void> | undefined;
  private closed = false;

  constructor(
    readonly options: BullmqQueueOptions,
    private readonly logger: Logger,
  ) {
    // One retry then fail, so an enqueue during an outage rejects (ingest does not ack) instead of
    // queueing in memory; reconnection itself goes on in the background.
    this.producer = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, connectionName: 'retail-sync:enqueue' });
    this.producer.on('error', (error) => this.logger.warn({ err: error }, 'bullmq queue: redis connection error'));
    this.producer.defineCommand('rsJobOwners', { lua: JOB_OWNERS_LUA });
    this.queue = new Queue<QueuedEvent, void>(options.queueName, { connection: this.producer, prefix: options.prefix });
    this.queue.on('error', (error) => this.logger.warn({ err: error }, 'bullmq queue: error'));
    const ageSeconds = Math.ceil(options.dedupeWindowMs / 1000);
    this.jobOptions = {
      attempts: UNBOUNDED,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: ageSeconds === 0 ? true : { age: ageSeconds, count: options.keepCompleted },
      removeOnFail: ageSeconds === 0 ? true : { age: ageSeconds, count: options.keepFailed },
    };
  }

  async enqueue(events: QueuedEvent[]): Promise<EnqueueOutcome[]> {
    if (events.length === 0) return [];
    return this.guard('enqueue', async () => {
      await this.checkServer();
      const firstIndex = new Map<string, number>();
      events.forEach((event, index) => {
        if (!firstIndex.has(event.event_id)) firstIndex.set(event.event_id, index);
      });
      const outcomeOf = new Map<string, EnqueueOutcome>();
      let pending = [...firstIndex.values()].map((index) => events[index]!);
      // Round 2 only re-adds ids that were found given up (and removed) in round 1.
      for (let round = 1; round <= 2 && pending.length > 0; round += 1) {
        const jobName = `${JOB_NAME_PREFIX}${randomUUID()}`;
        const owners = await this.addAndReadOwners(jobName, pending);
        const givenUp: QueuedEvent[] = [];
        pending.forEach((event, index) => {
          const owner = owners[index];
          // Ours also when the job is already gone: processed and pruned (only with a tiny retention count).
          if (owner === JobOwner.Ours) outcomeOf.set(event.event_id, 'accepted');
          else if (owner === JobOwner.GivenUp && round === 1) givenUp.push(event);
          else outcomeOf.set(event.event_id, 'duplicate');
        });
        // A failed job is never locked, so remove succeeds unless another replica re-queued it first
        // and a worker holds it: then our add is ignored and we answer 'duplicate', as we should.
        for (const event of givenUp) await this.queue.remove(event.event_id);
        pending = givenUp;
      }
      if (this.options.waitAof) await this.waitAof();
      return events.map((event, index) => (firstIndex.get(event.event_id) === index ? outcomeOf.get(event.event_id)! : 'duplicate'));
    });
  }

  consume(processor: EventProcessor, onGiveUp: (job: FailedJob) => Promise<void>, options: ConsumeOptions): QueueConsumer {
    if (this.closed) throw new Error('bullmq queue is closed');
    void this.checkServer().catch(() => undefined);
    const consumer = new BullmqConsumer(this.options, processor, onGiveUp, options, this.logger);
    this.consumers.add(consumer);
    return {
      close: async () => {
        await consumer.close();
        this.consumers.delete(consumer);
      },
    };
  }

  async counts(): Promise<QueueCounts> {
    return this.guard('counts', async () => {
      const counts = await this.queue.getJobCounts('wait', 'prioritized', 'waiting-children', 'active', 'delayed', 'failed');
      const of = (type: string) => counts[type] ?? 0;
      return {
        waiting: of('wait') + of('prioritized') + of('waiting-children'),
        active: of('active'),
        delayed: of('delayed'),
        failed: of('failed'),
      };
    });
  }

  /** The BullMQ Queue underneath, for Bull Board (a read-only UI) only: jobs go through `enqueue`. */
  get bullQueue(): Queue<QueuedEvent, void> {
    return this.queue;
  }

  /** Closes consumers (waiting for running jobs), then the queue and its connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((consumer) => consumer.close()));
    this.consumers.clear();
    await this.queue.close();
    await this.producer.quit().catch(() => this.producer.disconnect());
  }

  /** What a crash does to this process' consumers: running jobs are neither finished nor renewed and
   *  stall; another consumer picks them up after the lock expires. For tests and chaos drills. */
  async abandonConsumers(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.abandon()));
    this.consumers.clear();
  }

  /** Deletes every key of this queue (tests and teardown only). */
  async obliterate(): Promise<void> {
    await this.queue.obliterate({ force: true });
  }

  /**
   * Adds one job per event, named `jobName`, and reads back who owns each id, in one pipeline: the
   * adds are BullMQ's own scripts (the same as Queue.addBulk queues), job-owners.lua runs right after
   * them on the same connection. One round trip per batch.
   */
  private async addAndReadOwners(jobName: string, events: QueuedEvent[]): Promise<JobOwner[]> {
    const pipeline = (await this.queue.backend.client).pipeline();
    const jobKeys: string[] = [];
    const queued = events.map((event) => {
      const job = new Job<QueuedEvent, void>(this.queue, jobName, eventOf(event), { ...this.jobOptions, jobId: event.event_id }, event.event_id);
      jobKeys.push(this.queue.toKey(event.event_id));
      // Queues BullMQ's add command on the pipeline synchronously (the reply comes with exec).
      return this.queue.backend.addJobToTransaction(pipeline, job.asJSON(), event.event_id);
    });
    (pipeline as unknown as OwnersPipeline).rsJobOwners(1 + jobKeys.length, this.queue.toKey('failed'), ...jobKeys, jobName, ...events.map((event) => event.event_id));
    const [execReplies] = await Promise.all([(pipeline as unknown as OwnersPipeline).exec(), ...queued]);
    const replies = execReplies ?? [];
    if (replies.length !== events.length + 1) throw new Error(`redis answered ${replies.length} of ${events.length + 1} commands`);
    for (const [error] of replies) if (error) throw error;
    return replies.at(-1)![1] as JobOwner[];
  }

  /** WAITAOF numlocal=1: resolves once this connection's writes are fsynced to the AOF. */
  private async waitAof(): Promise<void> {
    const [local] = (await this.producer.call('WAITAOF', '1', '0', String(this.options.commandTimeoutMs))) as [number, number];
    if (local < 1) throw new Error(`WAITAOF: the AOF was not fsynced within ${this.options.commandTimeoutMs} ms (did not answer)`);
  }

  /** Once per process: warn about settings that break BullMQ's guarantees, refuse WAITAOF on old Redis. */
  private checkServer(): Promise<void> {
    this.serverChecked ??= (async () => {
      const info = await this.producer.info('server');
      const version = /redis_version:(\d+)\.(\d+)/.exec(info);
      const atLeast72 = version !== null && (Number(version[1]) > 7 || (Number(version[1]) === 7 && Number(version[2]) >= 2));
      if (this.options.waitAof && !atLeast72) {
        throw new Error(`ERR RS_REDIS_WAIT_AOF=true needs Redis ≥ 7.2 (WAITAOF); server is ${version?.[0] ?? 'unknown'}`);
      }
      // Managed Redis may forbid CONFIG GET: then we cannot check, and say so.
      const settings = await this.producer.call('CONFIG', 'GET', 'maxmemory-policy').then(
        async (policy) => ({ policy: (policy as string[])[1], aof: ((await this.producer.call('CONFIG', 'GET', 'appendonly')) as string[])[1] }),
        () => undefined,
      );
      if (settings === undefined) this.logger.warn('bullmq queue: cannot read redis config; make sure appendonly=yes and maxmemory-policy=noeviction');
      else if (settings.policy !== 'noeviction' || settings.aof !== 'yes') {
        this.logger.warn({ maxmemory_policy: settings.policy, appendonly: settings.aof }, 'bullmq queue: redis may drop acknowledged jobs; needs appendonly=yes and maxmemory-policy=noeviction');
      }
    })();
    this.serverChecked.catch(() => (this.serverChecked = undefined));
    return this.serverChecked;
  }

  private async guard<T>(operation: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`redis did not answer within ${this.options.commandTimeoutMs} ms`)), this.options.commandTimeoutMs);
    });
    try {
      return await Promise.race([run(), timeout]);
    } catch (error) {
      if (error instanceof RetailSyncError) throw error;
      const decision = shouldRetry(error);
      const message = error instanceof Error ? error.message : String(error);
      if (!decision.retry) this.logger.error({ err: error, reason: decision.reason }, `bullmq queue: ${operation} refused by redis`);
      throw commonErrors.create('RS_ERR_DEPENDENCY_UNAVAILABLE', `bullmq queue: ${operation} failed: ${message}`, {
        cause: error,
        details: decision.retry ? { retry: true } : { retry: false, reason: decision.reason },
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
