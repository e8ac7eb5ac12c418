/**
 * One BullMQ Worker running an EventProcessor. Invariant: a job leaves the queue only after its
 * processor resolved, or after `onGiveUp` resolved (the dead letter is durable). BullMQ itself never
 * fails a job on its own: jobs carry an unbounded `attempts` and workers an unbounded maxStalledCount,
 * and this wrapper spends the consumer's attempt budget (stalls count as tries), so no job can end in
 * BullMQ's failed set without having been dead-lettered first.
 */
import { hostname } from 'node:os';
import type { Logger } from '@retail-sync/libs/log';
import type { ConsumeOptions, EventProcessor, FailedJob, QueueConsumer, QueuedEvent } from '@retail-sync/libs/ports';
import { UnrecoverableError, Worker, type Job, type MinimalJob } from 'bullmq';
import { centralErrors } from '../../errors.ts';
import { backoffDelayMs, shouldRetryJob } from '../retry.ts';
import type { BullmqQueueOptions } from './config.ts';

/** Job backoff type; the delay comes from the consumer's options, which enqueue cannot know. */
export const BACKOFF_TYPE = 'retail-sync';
/** Stands in for "no limit" where BullMQ wants a number (job attempts, worker maxStalledCount). */
export const UNBOUNDED = 1_000_000_000;
/** failedReason prefix of a try whose dead-letter write failed: the next try is a give-up rerun. */
const GIVE_UP_FAILED = 'dead letter not written:';

export function eventOf(data: QueuedEvent): QueuedEvent {
  const { event_id, store_id, seq, received_at, trace_id, sale_json } = data;
  return { event_id, store_id, seq, received_at, trace_id, sale_json };
}

function describe(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

export class BullmqConsumer implements QueueConsumer {
  private readonly worker: Worker<QueuedEvent, void>;

  constructor(
    queueOptions: BullmqQueueOptions,
    private readonly processor: EventProcessor,
    private readonly onGiveUp: (job: FailedJob) => Promise<void>,
    private readonly options: ConsumeOptions,
    private readonly logger: Logger,
  ) {
    if (options.concurrency < 1 || options.attempts < 1) throw new RangeError('concurrency and attempts must be at least 1');
    // BullMQ hands the full Job to the strategy; attemptsStarted counts stalls too, like our budget.
    const delayFor = (job: MinimalJob | undefined) =>
      Math.min(backoffDelayMs(options.backoffMs, (job as Job | undefined)?.attemptsStarted ?? 1), queueOptions.maxBackoffMs);
    this.worker = new Worker<QueuedEvent, void>(queueOptions.queueName, (job) => this.run(job), {
      // BullMQ requires maxRetriesPerRequest: null on worker connections: a blocking BZPOPMIN must wait
      // through reconnects instead of failing after N retries.
      connection: { url: queueOptions.redisUrl, maxRetriesPerRequest: null, connectionName: `retail-sync:worker:${hostname()}` },
      prefix: queueOptions.prefix,
      concurrency: options.concurrency,
      lockDuration: queueOptions.lockDurationMs,
      stalledInterval: queueOptions.stalledIntervalMs,
      maxStalledCount: UNBOUNDED,
      settings: { backoffStrategy: (_attemptsMade, _type, _error, job) => delayFor(job) },
    });
    this.worker.on('error', (error) => this.logger.warn({ err: error }, 'bullmq worker: redis error'));
    this.worker.on('stalled', (jobId) => this.logger.warn({ event_id: jobId }, 'bullmq worker: job stalled (its consumer died or blocked); redelivering'));
  }

  private async run(job: Job<QueuedEvent, void>): Promise<void> {
    const event = eventOf(job.data);
    const { attempts } = this.options;
    const attempt = job.attemptsStarted;
    const rerunOfGiveUp = job.failedReason?.startsWith(GIVE_UP_FAILED) ?? false;
    let error: unknown;
    if (job.stalledCounter >= attempts || (!rerunOfGiveUp && attempt > attempts)) {
      // The budget went to consumers that died mid-job: running it again may kill another one.
      error = centralErrors.create('RS_ERR_JOB_STALLED', `consumer died or stalled during ${job.stalledCounter} of ${attempt - 1} tries (attempts ${attempts})`);
    } else {
      try {
        await this.processor(event, attempt);
        return;
      } catch (processorError) {
        error = processorError;
      }
      if (!rerunOfGiveUp && attempt < attempts && shouldRetryJob(error).retry) {
        // BullMQ records it and moves the job to delayed (backoffStrategy above).
        throw error instanceof Error ? error : new Error(describe(error));
      }
    }
    await this.giveUp({ event, attemptsMade: attempt, error }, job);
  }

  private async giveUp(failed: FailedJob, job: Job<QueuedEvent, void>): Promise<never> {
    const log = this.logger.child({ trace_id: failed.event.trace_id, event_id: failed.event.event_id });
    try {
      await this.onGiveUp(failed);
    } catch (giveUpError) {
      // Not dead-lettered: keep the job (delayed, capped backoff) and give it up again on a later try.
      log.error({ err: giveUpError, attempts_made: failed.attemptsMade }, 'dead letter not written; job kept for another try');
      throw new Error(`${GIVE_UP_FAILED} ${describe(giveUpError)} (job error ${describe(failed.error)})`);
    }
    log.warn({ attempts_made: failed.attemptsMade, reason: describe(failed.error), job_id: job.id }, 'job given up to the dead-letter store');
    // Moves the job to BullMQ's failed set (kept RS_QUEUE_DEDUPE_WINDOW_MS) without another try.
    throw new UnrecoverableError(`given up after ${failed.attemptsMade} tries: ${describe(failed.error)}`);
  }

  /** Stops taking jobs, waits for the running ones, closes the worker's connections. */
  async close(): Promise<void> {
    await this.worker.close();
  }

  /** What a crash does: no new jobs, no lock renewals, running jobs left as they are (they stall). */
  async abandon(): Promise<void> {
    await this.worker.close(true);
  }
}
