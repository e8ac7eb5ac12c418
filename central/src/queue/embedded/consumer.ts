/**
 * One consumer of the embedded queue: a poll loop that claims jobs in batches, runs up to
 * `concurrency` of them at once and writes their resolutions back in batches.
 *
 * Invariant: a job leaves the queue only after its processor resolved, or after `onGiveUp` resolved
 * (the dead letter is durable). If `onGiveUp` itself fails, the job is retried later, never dropped.
 */
import { randomUUID } from 'node:crypto';
import type { ConsumeOptions, EventProcessor, FailedJob, QueueConsumer } from '@retail-sync/libs/ports';
import { centralErrors } from '../../errors.ts';
import { backoffDelayMs, shouldRetryJob } from '../retry.ts';
import type { ClaimedJob, EmbeddedQueue, JobResolution } from './queue.ts';

export class EmbeddedConsumer implements QueueConsumer {
  private readonly owner = `consumer-${randomUUID()}`;
  private readonly running = new Map<string, Promise<void>>();
  private resolutions: JobResolution[] = [];
  private ready: ClaimedJob[] = [];
  private stopping = false;
  private abandoned = false;
  private loopDone: Promise<void> = Promise.resolve();
  private waiter: (() => void) | undefined;
  private wokenEarly = false;
  private lastRenewal = Date.now();

  constructor(
    private readonly queue: EmbeddedQueue,
    private readonly processor: EventProcessor,
    private readonly onGiveUp: (job: FailedJob) => Promise<void>,
    private readonly options: ConsumeOptions,
    private readonly onClosed: () => void,
  ) {
    if (options.concurrency < 1 || options.attempts < 1) throw new RangeError('concurrency and attempts must be at least 1');
  }

  start(): void {
    this.loopDone = this.loop();
  }

  /** Cuts a wait short: new jobs were enqueued or a running job finished. */
  wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter();
    else this.wokenEarly = true;
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loopDone;
    this.onClosed();
  }

  abandon(): void {
    this.abandoned = true;
    this.stopping = true;
    this.wake();
  }

  private async loop(): Promise<void> {
    const { concurrency } = this.options;
    // Claimed jobs beyond the running ones wait in `ready`, so a slot that frees up is refilled
    // without a round trip; the claim rides in the same transaction as the resolutions.
    const prefetch = Math.max(concurrency * 2, 2);
    while (!this.stopping) {
      try {
        await this.renewIfDue();
        const want = prefetch - this.running.size - this.ready.length;
        if (this.resolutions.length > 0 || want > 0) {
          const batch = this.resolutions;
          this.resolutions = [];
          try {
            this.ready.push(...(await this.queue.cycle(this.owner, batch, want)));
          } catch (error) {
            this.resolutions.unshift(...batch);
            throw error;
          }
        }
        while (this.running.size < concurrency && this.ready.length > 0 && !this.stopping) this.run(this.ready.shift()!);
        // Wait for a job to finish, for new jobs (wake) or for the next poll of other processes' jobs.
        if (this.resolutions.length === 0) await this.sleep(this.queue.options.pollIntervalMs);
      } catch (error) {
        // The queue file is unavailable: back off, keep the running jobs, try again.
        this.queue.options.logger?.warn({ err: error, running: this.running.size }, 'embedded queue: consumer round failed; retrying');
        await this.sleep(this.queue.options.pollIntervalMs * 10);
      }
    }
    if (this.abandoned) return;
    await Promise.all(this.running.values());
    const unstarted: JobResolution[] = this.ready.splice(0).map((job) => ({ id: job.event.event_id, kind: 'release' }));
    await this.queue.cycle(this.owner, [...this.resolutions.splice(0), ...unstarted], 0).catch(() => undefined);
  }

  private run(job: ClaimedJob): void {
    const id = job.event.event_id;
    const done = this.settle(job)
      .then((resolution) => {
        if (!this.abandoned) this.resolutions.push(resolution);
      })
      .finally(() => {
        this.running.delete(id);
        this.wake();
      });
    this.running.set(id, done);
  }

  private async settle(job: ClaimedJob): Promise<JobResolution> {
    const id = job.event.event_id;
    const { attempts, backoffMs } = this.options;
    let attemptsMade = job.attemptsMade;
    let error: unknown;
    if (attemptsMade >= attempts) {
      error = centralErrors.create('RS_ERR_JOB_STALLED', `consumer died during attempt ${attemptsMade} of ${attempts}`);
    } else {
      try {
        await this.processor(job.event, attemptsMade + 1);
        return { id, kind: 'completed' };
      } catch (caught) {
        error = caught;
        attemptsMade += 1;
      }
    }
    if (shouldRetryJob(error).retry && attemptsMade < attempts) {
      return { id, kind: 'retry', attemptsMade, availableAt: Date.now() + backoffDelayMs(backoffMs, attemptsMade), error: describe(error) };
    }
    try {
      await this.onGiveUp({ event: job.event, attemptsMade, error });
      return { id, kind: 'given_up' };
    } catch (giveUpError) {
      // The dead letter is not durable: keep the job and rerun its last attempt later, so it is
      // given up again with its own reason.
      return { id, kind: 'retry', attemptsMade: Math.min(attemptsMade, attempts - 1), availableAt: Date.now() + backoffDelayMs(backoffMs, attemptsMade), error: describe(giveUpError) };
    }
  }

  private async renewIfDue(): Promise<void> {
    if (Date.now() - this.lastRenewal < this.queue.options.leaseMs / 3) return;
    this.lastRenewal = Date.now();
    await this.queue.renewLeases(this.owner, [...this.running.keys(), ...this.ready.map((job) => job.event.event_id)]);
  }

  private sleep(ms: number): Promise<void> {
    if (this.wokenEarly) {
      this.wokenEarly = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), ms);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function describe(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}
