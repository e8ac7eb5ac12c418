/**
 * The engine's state on DuckDB, in the warehouse file (tables from migration 0004_engine_tables.sql).
 * Lease acquisition is one transaction on the process's single connection (EmbeddedDb serializes
 * transactions), so of two runners racing for a free partition exactly one sees it free and takes it.
 */
import type { EmbeddedDb } from '@retail-sync/libs/embedded';
import type { JobState, JobStateStore, PartitionLeases, RunHistory, RunHistoryFilter, TaskAttemptRecord } from '../../engine/stores.ts';

export class DuckDbRunHistory implements RunHistory {
  constructor(private readonly db: EmbeddedDb) {}

  async record(attempt: TaskAttemptRecord): Promise<void> {
    await this.db.run(
      `INSERT INTO dag_runs VALUES ($run_id, $job_id, $partition, $task, $status, $attempt,
        CAST($started_at AS TIMESTAMP), CAST($finished_at AS TIMESTAMP), $rows, $error, $runner_id)`,
      { ...attempt },
    );
  }

  async list(filter: RunHistoryFilter = {}): Promise<TaskAttemptRecord[]> {
    const rows = await this.db.all<TaskAttemptRecord & Record<string, unknown>>(
      `SELECT * FROM dag_runs
       WHERE ($job_id IS NULL OR job_id = $job_id) AND ($partition IS NULL OR partition = $partition)
       ORDER BY started_at DESC, finished_at DESC, attempt DESC
       LIMIT $limit`,
      { job_id: filter.jobId ?? null, partition: filter.partition ?? null, limit: filter.limit ?? 200 },
    );
    return rows.map((row) => ({ ...row, rows: row.rows ?? null, error: row.error ?? null }));
  }
}

export class DuckDbPartitionLeases implements PartitionLeases {
  constructor(private readonly db: EmbeddedDb) {}

  async acquire(jobId: string, partition: string, owner: string, ttlMs: number, now: Date): Promise<boolean> {
    const params = { job_id: jobId, partition, owner, now: now.toISOString(), expires_at: new Date(now.getTime() + ttlMs).toISOString() };
    return this.db.transaction(async (tx) => {
      const [holder] = await tx.allUnqueued<{ live: boolean }>(
        'SELECT expires_at > CAST($now AS TIMESTAMP) AS live FROM dag_leases WHERE job_id = $job_id AND partition = $partition',
        { job_id: jobId, partition, now: params.now },
      );
      if (holder?.live) return false;
      await tx.runUnqueued(
        `INSERT OR REPLACE INTO dag_leases VALUES ($job_id, $partition, $owner, CAST($now AS TIMESTAMP), CAST($expires_at AS TIMESTAMP))`,
        params,
      );
      return true;
    });
  }

  async renew(jobId: string, partition: string, owner: string, ttlMs: number, now: Date): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const held = await tx.allUnqueued(
        'SELECT 1 FROM dag_leases WHERE job_id = $job_id AND partition = $partition AND owner = $owner',
        { job_id: jobId, partition, owner },
      );
      if (held.length === 0) return false;
      await tx.runUnqueued(
        'UPDATE dag_leases SET expires_at = CAST($expires_at AS TIMESTAMP) WHERE job_id = $job_id AND partition = $partition AND owner = $owner',
        { job_id: jobId, partition, owner, expires_at: new Date(now.getTime() + ttlMs).toISOString() },
      );
      return true;
    });
  }

  async release(jobId: string, partition: string, owner: string): Promise<void> {
    await this.db.run('DELETE FROM dag_leases WHERE job_id = $job_id AND partition = $partition AND owner = $owner', { job_id: jobId, partition, owner });
  }
}

export class DuckDbJobStateStore implements JobStateStore {
  constructor(private readonly db: EmbeddedDb) {}

  async get(jobId: string): Promise<JobState> {
    const [row] = await this.db.all<{ dirty_watermark: string | null; last_scheduled_at: string | null }>(
      'SELECT dirty_watermark, last_scheduled_at FROM dag_job_state WHERE job_id = $job_id',
      { job_id: jobId },
    );
    return { job_id: jobId, dirty_watermark: row?.dirty_watermark ?? null, last_scheduled_at: row?.last_scheduled_at ?? null };
  }

  async save(state: JobState): Promise<void> {
    await this.db.run(
      `INSERT OR REPLACE INTO dag_job_state VALUES ($job_id, CAST($dirty_watermark AS TIMESTAMP), CAST($last_scheduled_at AS TIMESTAMP), CAST($updated_at AS TIMESTAMP))`,
      { ...state, updated_at: new Date().toISOString() },
    );
  }
}
