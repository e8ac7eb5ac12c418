/**
 * The scheduler decides which partitions each job runs and when. On every tick of its cron:
 *   - dirty partitions: business dates the order store wrote since the job's watermark (late data) are
 *     re-rolled on every tick;
 *   - when the job's own schedule is due: today and yesterday (UTC), plus every date since the last
 *     successful scheduled tick (catch-up after downtime, capped at catchupMaxDays).
 *   - a job with `after: X` also runs, in the same tick, every partition X just ran successfully.
 * Each partition runs at most once per tick. The watermark and the schedule mark advance only when every
 * partition of the tick succeeded, so a failed or leased-away partition is retried on the next tick.
 * Ticks never overlap; backfills and manual runs go straight to the runner (leases keep them apart).
 */
import { Cron } from 'croner';
import type { OrderStorePort } from '@retail-sync/libs/ports';
import type { Logger } from '@retail-sync/libs/log';
import { dagsErrors } from '../errors.ts';
import { isScheduleDue, type Job } from './job.ts';
import { addDays, isBusinessDate, partitionRange, utcDate } from './partitions.ts';
import type { JobRunner, PartitionRun } from './runner.ts';
import type { JobStateStore } from './stores.ts';

export interface SchedulerOptions<Resources> {
  jobs: readonly Job<Resources>[];
  runner: JobRunner<Resources>;
  orderStore: Pick<OrderStorePort, 'datesTouchedSince'>;
  jobState: JobStateStore;
  logger: Logger;
  /** Most recent days a catch-up re-rolls. */
  catchupMaxDays: number;
  /** The watermark is moved back by this much when asking for late data, covering clock skew. Default 5000. */
  watermarkOverlapMs?: number;
  clock?: () => Date;
}

const EPOCH = '1970-01-01T00:00:00.000Z';

export class Scheduler<Resources> {
  private readonly clock: () => Date;
  private cron: Cron | undefined;
  private ticking: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SchedulerOptions<Resources>) {
    this.clock = options.clock ?? (() => new Date());
    options.jobs.forEach((job, index) => {
      if (job.after !== undefined && !options.jobs.slice(0, index).some((earlier) => earlier.id === job.after)) {
        throw dagsErrors.create('RS_ERR_JOB_DEFINITION', `job ${job.id}: after "${job.after}" must be a job listed before it`);
      }
    });
  }

  job(jobId: string): Job<Resources> {
    const job = this.options.jobs.find((candidate) => candidate.id === jobId);
    if (!job) throw dagsErrors.create('RS_ERR_UNKNOWN_JOB', `no job "${jobId}" (known: ${this.options.jobs.map((j) => j.id).join(', ')})`);
    return job;
  }

  /** Ticks on `tickCron` (UTC) and once right away, which is the catch-up after downtime. */
  start(tickCron: string): void {
    if (this.cron) return;
    this.cron = new Cron(tickCron, { protect: true, timezone: 'UTC' }, async () => {
      await this.tick();
    });
    void this.tick();
  }

  /** Stops ticking and waits for a tick in flight. */
  async stop(): Promise<void> {
    this.cron?.stop();
    this.cron = undefined;
    await this.ticking.catch(() => undefined);
  }

  /**
   * One tick over every job (see the module header). `force` runs the scheduled set even when the
   * schedule is not due. Ticks are serialized; a tick that throws is logged and retried next time.
   */
  tick(options: { force?: boolean } = {}): Promise<PartitionRun[]> {
    const next = this.ticking.then(() => this.tickAllJobs(options.force ?? false));
    this.ticking = next.catch(() => undefined);
    return next;
  }

  /** Runs each date of [from, to] once for one job; no watermark moves. */
  async backfill(jobId: string, from: string, to: string): Promise<PartitionRun[]> {
    const job = this.job(jobId);
    return this.options.runner.runPartitions(job, partitionRange(from, to));
  }

  /** Runs the given dates (deduplicated, in order) for one job. */
  async runPartitions(jobId: string, dates: readonly string[]): Promise<PartitionRun[]> {
    const job = this.job(jobId);
    return this.options.runner.runPartitions(job, [...new Set(dates)].sort());
  }

  private async tickAllJobs(force: boolean): Promise<PartitionRun[]> {
    const runs: PartitionRun[] = [];
    const succeeded = new Map<string, string[]>();
    for (const job of this.options.jobs) {
      try {
        const jobRuns = await this.tickJob(job, force, job.after === undefined ? [] : (succeeded.get(job.after) ?? []));
        succeeded.set(job.id, jobRuns.filter((run) => run.status === 'succeeded').map((run) => run.partition));
        runs.push(...jobRuns);
      } catch (error) {
        this.options.logger.warn({ job_id: job.id, err: error }, 'scheduler tick failed; will retry next tick');
      }
    }
    return runs;
  }

  private async tickJob(job: Job<Resources>, force: boolean, followed: readonly string[]): Promise<PartitionRun[]> {
    const { jobState, orderStore, runner, logger } = this.options;
    const tickAt = this.clock();
    const state = await jobState.get(job.id);
    const since = new Date(new Date(state.dirty_watermark ?? EPOCH).getTime() - (this.options.watermarkOverlapMs ?? 5_000));
    const touched = await orderStore.datesTouchedSince((since.getTime() < 0 ? new Date(0) : since).toISOString());
    const dirty = touched.filter((date) => isBusinessDate(date));
    if (dirty.length < touched.length) logger.error({ job_id: job.id, dates: touched.filter((date) => !isBusinessDate(date)) }, 'order store reported invalid business dates; not rolled');
    const due = force || state.last_scheduled_at === null || isScheduleDue(job.schedule, new Date(state.last_scheduled_at), tickAt);
    const scheduled = due ? this.scheduledDates(state.last_scheduled_at, tickAt) : [];
    const partitions = [...new Set([...dirty, ...scheduled, ...followed])].sort();
    if (partitions.length === 0) return [];
    logger.info({ job_id: job.id, partitions: partitions.length, dirty: dirty.length, followed: followed.length, due }, 'tick');
    const runs = await runner.runPartitions(job, partitions);
    if (runs.every((run) => run.status === 'succeeded')) {
      await jobState.save({
        job_id: job.id,
        dirty_watermark: tickAt.toISOString(),
        last_scheduled_at: due ? tickAt.toISOString() : state.last_scheduled_at,
      });
    }
    return runs;
  }

  /** Yesterday and today (UTC) and, after downtime, every date since the last scheduled tick. */
  private scheduledDates(lastScheduledAt: string | null, now: Date): string[] {
    const today = utcDate(now);
    const from = lastScheduledAt ? utcDate(new Date(lastScheduledAt)) : addDays(today, -1);
    const earliest = addDays(today, -(this.options.catchupMaxDays - 1));
    const wanted = from < addDays(today, -1) ? from : addDays(today, -1);
    return partitionRange(wanted > earliest ? wanted : earliest, today);
  }
}
