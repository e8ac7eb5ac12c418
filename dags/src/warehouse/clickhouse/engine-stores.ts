/**
 * The engine's state on ClickHouse (tables from migration 0004_engine_tables.sql): run history, job state
 * and partition leases.
 *
 * Leases without compare-and-set. ClickHouse has no atomic conditional write, so `acquire` runs Fischer's
 * mutual-exclusion protocol over plain inserts:
 *   1. read the (job, partition) claims; any live one (unreleased, expires_at > now) → false;
 *   2. insert our claim with a random token; if 1–2 took `settleMs` or more (by our monotonic clock) we
 *      withdraw (release, false): the timing bound below would not hold;
 *   3. wait `settleMs`, read the live claims again; the lowest token wins, every other claimant releases.
 * Guarantee: at most one owner holds a (job, partition) lease at a time, provided (a) an INSERT is visible
 * to every SELECT that starts after it returned — true on a single ClickHouse server, on a replicated
 * cluster only with insert_quorum + select_sequential_consistency — and (b) runners' clocks agree to well
 * within the TTL (expiry compares the callers' `now`, as on DuckDB). Why: a claimant that read "free" did
 * so before any rival claim was visible, and its own claim was visible less than settleMs later; every
 * rival decides at least settleMs after its claim was visible, so all claimants that passed step 1 see each
 * other in step 3 and agree on the lowest token. It is safe, not live: contenders may all withdraw (the
 * partition is skipped and retried next tick), and each acquire costs settleMs. Where a real lock service
 * is at hand (Cassandra LWT in the order store), it is the stronger home for leases.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { JobState, JobStateStore, PartitionLeases, RunHistory, RunHistoryFilter, TaskAttemptRecord, TaskStatus } from '../../engine/stores.ts';
import type { ClickHouseSession } from './clickhouse-session.ts';
import { toClickHouseDateTime } from './sql-literals.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Versions for ReplacingMergeTree rows: increasing within this process even when two writes share a millisecond. */
class VersionClock {
  private last = 0;
  next(): number {
    this.last = Math.max(Date.now() * 1_000, this.last + 1);
    return this.last;
  }
}

export class ClickHouseRunHistory implements RunHistory {
  constructor(private readonly session: ClickHouseSession) {}

  async record(attempt: TaskAttemptRecord): Promise<void> {
    const started = new Date(attempt.started_at);
    const finished = new Date(attempt.finished_at);
    await this.session.insert('dag_runs', [
      {
        ...attempt,
        started_at: toClickHouseDateTime(started),
        finished_at: toClickHouseDateTime(finished),
        started_at_ms: started.getTime(),
        finished_at_ms: finished.getTime(),
      },
    ]);
  }

  async list(filter: RunHistoryFilter = {}): Promise<TaskAttemptRecord[]> {
    const where = [filter.jobId === undefined ? '' : 'job_id = {job_id:String}', filter.partition === undefined ? '' : 'partition = {partition:String}'].filter(Boolean);
    const rows = await this.session.rows<Omit<TaskAttemptRecord, 'started_at' | 'finished_at'> & { started_at_ms: number; finished_at_ms: number }>(
      `SELECT run_id, job_id, partition, task, status, attempt, started_at_ms, finished_at_ms, rows, error, runner_id
       FROM dag_runs
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY started_at_ms DESC, finished_at_ms DESC, attempt DESC
       LIMIT {limit:UInt32}`,
      { job_id: filter.jobId, partition: filter.partition, limit: filter.limit ?? 200 },
    );
    return rows.map(({ started_at_ms, finished_at_ms, ...row }) => ({
      ...row,
      status: row.status as TaskStatus,
      started_at: new Date(started_at_ms).toISOString(),
      finished_at: new Date(finished_at_ms).toISOString(),
    }));
  }
}

type LeaseClaim = {
  owner: string;
  token: string;
  claimed_at_ms: number;
  expires_at_ms: number;
  released: number;
};

export class ClickHousePartitionLeases implements PartitionLeases {
  private readonly versions = new VersionClock();

  constructor(
    private readonly session: ClickHouseSession,
    private readonly settleMs: number,
  ) {}

  async acquire(jobId: string, partition: string, owner: string, ttlMs: number, now: Date): Promise<boolean> {
    const startedAt = performance.now();
    if ((await this.liveClaims(jobId, partition, now)).length > 0) return false;
    const token = randomUUID();
    await this.write(jobId, partition, { owner, token, claimed_at_ms: now.getTime(), expires_at_ms: now.getTime() + ttlMs, released: 0 });
    if (performance.now() - startedAt >= this.settleMs) {
      await this.release(jobId, partition, owner);
      return false;
    }
    await sleep(this.settleMs);
    const winner = lowestToken(await this.liveClaims(jobId, partition, now));
    if (winner?.owner === owner && winner.token === token) return true;
    await this.release(jobId, partition, owner);
    return false;
  }

  async renew(jobId: string, partition: string, owner: string, ttlMs: number, now: Date): Promise<boolean> {
    const live = await this.liveClaims(jobId, partition, now);
    const holder = lowestToken(live);
    if (holder?.owner !== owner) return false;
    await this.write(jobId, partition, { ...holder, expires_at_ms: now.getTime() + ttlMs });
    return true;
  }

  async release(jobId: string, partition: string, owner: string): Promise<void> {
    const [mine] = await this.session.rows<LeaseClaim>(
      `SELECT owner, token, claimed_at_ms, expires_at_ms, released FROM dag_leases FINAL
       WHERE job_id = {job_id:String} AND partition = {partition:String} AND owner = {owner:String}`,
      { job_id: jobId, partition, owner },
    );
    if (!mine || mine.released === 1) return;
    await this.write(jobId, partition, { ...mine, released: 1 });
  }

  private async liveClaims(jobId: string, partition: string, now: Date): Promise<LeaseClaim[]> {
    return this.session.rows<LeaseClaim>(
      `SELECT owner, token, claimed_at_ms, expires_at_ms, released FROM dag_leases FINAL
       WHERE job_id = {job_id:String} AND partition = {partition:String} AND released = 0 AND expires_at_ms > {now_ms:Int64}`,
      { job_id: jobId, partition, now_ms: now.getTime() },
    );
  }

  private async write(jobId: string, partition: string, claim: LeaseClaim): Promise<void> {
    await this.session.insert('dag_leases', [{ job_id: jobId, partition, ...claim, version: this.versions.next() }]);
  }
}

function lowestToken(claims: readonly LeaseClaim[]): LeaseClaim | undefined {
  return [...claims].sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0))[0];
}

export class ClickHouseJobStateStore implements JobStateStore {
  private readonly versions = new VersionClock();

  constructor(private readonly session: ClickHouseSession) {}

  async get(jobId: string): Promise<JobState> {
    const [row] = await this.session.rows<{ dirty_watermark_ms: number | null; last_scheduled_at_ms: number | null }>(
      'SELECT dirty_watermark_ms, last_scheduled_at_ms FROM dag_job_state FINAL WHERE job_id = {job_id:String}',
      { job_id: jobId },
    );
    return { job_id: jobId, dirty_watermark: isoOrNull(row?.dirty_watermark_ms), last_scheduled_at: isoOrNull(row?.last_scheduled_at_ms) };
  }

  async save(state: JobState): Promise<void> {
    await this.session.insert('dag_job_state', [
      {
        job_id: state.job_id,
        dirty_watermark_ms: msOrNull(state.dirty_watermark),
        last_scheduled_at_ms: msOrNull(state.last_scheduled_at),
        updated_at: toClickHouseDateTime(new Date()),
        version: this.versions.next(),
      },
    ]);
  }
}

function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

function msOrNull(iso: string | null): number | null {
  return iso === null ? null : new Date(iso).getTime();
}
