/**
 * Backfills: run every business date of [from, to] of one job once, in the background, with progress an
 * operator can poll (the CLI's progress bar) and a cancel that really stops: no partition starts after
 * it. Partitions run through the JobRunner, so leases, retries and run history apply as for scheduled
 * runs. A partition another runner holds (a scheduler tick on the same day) is tried again after a
 * backoff, and counted as skipped only if it stays held. Progress lives in this process (the newest
 * `keep` backfills); what ran is in run history, and re-running a backfill is harmless (each task
 * replaces its partition).
 */
import { newEventId } from '@retail-sync/libs/domain';
import type { Logger } from '@retail-sync/libs/log';
import { dagsErrors } from '../errors.ts';
import type { Job } from './job.ts';
import { partitionRange } from './partitions.ts';
import type { JobRunner, PartitionRun } from './runner.ts';

export interface BackfillProgress {
  backfill_id: string;
  job_id: string;
  from: string;
  to: string;
  /** running → succeeded (every partition ran), failed (some failed or stayed leased), cancelled. */
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  total: number;
  /** Partitions finished (succeeded + failed + skipped). */
  done: number;
  succeeded: number;
  failed: number;
  /** Left alone: another runner kept the partition's lease through every retry. */
  skipped: number;
  /** Rows the partitions' tasks wrote. */
  rows: number;
  running: string[];
  failures: Array<{ partition: string; error: string }>;
  started_at: string;
  finished_at: string | null;
}

export interface BackfillOptions<Resources> {
  runner: JobRunner<Resources>;
  jobs: readonly Job<Resources>[];
  logger: Logger;
  /** Tries of a leased-elsewhere partition after the first (default 5), waiting leasedRetryMs × 2^n. */
  leasedRetries?: number;
  /** Default 500 ms. */
  leasedRetryMs?: number;
  /** Finished backfills remembered. Default 50. */
  keep?: number;
}

const MAX_CONCURRENCY = 8;

export class Backfills<Resources> {
  private readonly progress = new Map<string, BackfillProgress>();
  private readonly finished = new Map<string, Promise<BackfillProgress>>();
  private readonly cancelled = new Set<string>();

  constructor(private readonly options: BackfillOptions<Resources>) {}

  /** Validates and starts; throws RS_ERR_UNKNOWN_JOB / RS_ERR_INVALID_PARTITION before anything runs. */
  start(jobId: string, from: string, to: string, concurrency = 1): BackfillProgress {
    const job = this.options.jobs.find((candidate) => candidate.id === jobId);
    if (!job) throw dagsErrors.create('RS_ERR_UNKNOWN_JOB', `no job "${jobId}" (known: ${this.options.jobs.map((j) => j.id).join(', ')})`);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw dagsErrors.create('RS_ERR_INVALID_REQUEST', `concurrency must be an integer in 1..${MAX_CONCURRENCY}`);
    }
    const partitions = partitionRange(from, to);
    const id = newEventId();
    const state: BackfillProgress = {
      backfill_id: id, job_id: jobId, from, to, status: 'running', total: partitions.length, done: 0, succeeded: 0,
      failed: 0, skipped: 0, rows: 0, running: [], failures: [], started_at: new Date().toISOString(), finished_at: null,
    };
    this.progress.set(id, state);
    this.forgetOld();
    this.options.logger.info({ backfill_id: id, job_id: jobId, from, to, partitions: partitions.length, concurrency }, 'backfill started');
    this.finished.set(id, this.runAll(job, partitions, state, concurrency));
    return snapshot(state);
  }

  get(id: string): BackfillProgress | undefined {
    const state = this.progress.get(id);
    return state && snapshot(state);
  }

  /** Resolves when the backfill has finished (or was cancelled and its running partitions ended). */
  async wait(id: string): Promise<BackfillProgress | undefined> {
    await this.finished.get(id);
    return this.get(id);
  }

  /** No further partition starts; the ones running finish. */
  cancel(id: string): BackfillProgress | undefined {
    if (this.progress.get(id)?.status === 'running') this.cancelled.add(id);
    return this.get(id);
  }

  /** Cancels every running backfill and waits for their running partitions (shutdown). */
  async stopAll(): Promise<void> {
    for (const [id, state] of this.progress) if (state.status === 'running') this.cancelled.add(id);
    await Promise.all([...this.finished.values()]);
  }

  private async runAll(job: Job<Resources>, partitions: string[], state: BackfillProgress, concurrency: number): Promise<BackfillProgress> {
    const queue = [...partitions];
    const worker = async () => {
      for (let partition = queue.shift(); partition !== undefined && !this.cancelled.has(state.backfill_id); partition = queue.shift()) {
        state.running.push(partition);
        const run = await this.runLeased(job, partition).catch((error: unknown): PartitionRun => ({
          run_id: '', job_id: job.id, partition, status: 'failed', tasks: [], error: error instanceof Error ? error.message : String(error),
        }));
        state.running = state.running.filter((p) => p !== partition);
        state.done += 1;
        state.rows += run.tasks.reduce((sum, task) => sum + (task.rows ?? 0), 0);
        if (run.status === 'succeeded') state.succeeded += 1;
        else if (run.status === 'skipped') state.skipped += 1;
        else {
          state.failed += 1;
          state.failures.push({ partition, error: run.error ?? 'failed' });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, partitions.length) }, worker));
    state.status = this.cancelled.delete(state.backfill_id) ? 'cancelled' : state.failed + state.skipped > 0 ? 'failed' : 'succeeded';
    state.finished_at = new Date().toISOString();
    this.options.logger[state.status === 'succeeded' ? 'info' : 'warn'](
      { backfill_id: state.backfill_id, job_id: job.id, status: state.status, succeeded: state.succeeded, failed: state.failed, skipped: state.skipped },
      'backfill finished',
    );
    return snapshot(state);
  }

  /** One partition; while another runner holds its lease, waits and tries again. */
  private async runLeased(job: Job<Resources>, partition: string): Promise<PartitionRun> {
    const retries = this.options.leasedRetries ?? 5;
    const baseMs = this.options.leasedRetryMs ?? 500;
    for (let attempt = 0; ; attempt += 1) {
      const run = await this.options.runner.runPartition(job, partition);
      if (run.status !== 'skipped' || attempt >= retries) return run;
      await new Promise((resolve) => setTimeout(resolve, baseMs * 2 ** attempt));
    }
  }

  private forgetOld(): void {
    const keep = this.options.keep ?? 50;
    for (const [id, state] of this.progress) {
      if (this.progress.size <= keep) return;
      if (state.status !== 'running') {
        this.progress.delete(id);
        this.finished.delete(id);
      }
    }
  }
}

function snapshot(state: BackfillProgress): BackfillProgress {
  return { ...state, running: [...state.running], failures: [...state.failures] };
}
