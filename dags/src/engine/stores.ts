/**
 * Where the engine keeps its own state, behind small interfaces so that the embedded profile (DuckDB,
 * warehouse/duckdb/engine-stores.ts) and a production deployment (the real warehouse, or a lock service
 * for leases) slot in without touching the runner or the scheduler.
 */

export type TaskStatus = 'succeeded' | 'retrying' | 'failed' | 'skipped';

/** One task attempt, as run history keeps it. */
export interface TaskAttemptRecord {
  run_id: string;
  job_id: string;
  partition: string;
  task: string;
  status: TaskStatus;
  /** 1-based; 0 for a task skipped because a dependency failed. */
  attempt: number;
  started_at: string;
  finished_at: string;
  rows: number | null;
  error: string | null;
  runner_id: string;
}

export interface RunHistoryFilter {
  jobId?: string;
  partition?: string;
  /** Newest first; default 200. */
  limit?: number;
}

export interface RunHistory {
  /** Appends one attempt; durable when it resolves. */
  record(attempt: TaskAttemptRecord): Promise<void>;
  /** Attempts, newest first. */
  list(filter?: RunHistoryFilter): Promise<TaskAttemptRecord[]>;
}

/**
 * Partition leases: at most one owner per (job, partition) until the lease expires. `acquire` is atomic:
 * of two runners racing for a free partition exactly one gets it. A runner renews while it works and
 * releases when done; a crashed runner's lease simply expires.
 */
export interface PartitionLeases {
  /** Takes the lease if it is free or expired; false while any owner (even `owner` itself) holds it live.
   *  Runners pass one owner per run (`<runner_id>/<run_id>`). */
  acquire(jobId: string, partition: string, owner: string, ttlMs: number, now: Date): Promise<boolean>;
  /** Extends our lease; false when it is no longer ours (expired and taken). */
  renew(jobId: string, partition: string, owner: string, ttlMs: number, now: Date): Promise<boolean>;
  /** Drops our lease (no-op when it is not ours). */
  release(jobId: string, partition: string, owner: string): Promise<void>;
}

/** What the scheduler remembers per job between ticks (and across restarts). */
export interface JobState {
  job_id: string;
  /** Order-store writes after this instant make their business dates dirty (late data). */
  dirty_watermark: string | null;
  /** Last tick that ran the job's full scheduled set successfully (catch-up starts from its date). */
  last_scheduled_at: string | null;
}

export interface JobStateStore {
  get(jobId: string): Promise<JobState>;
  save(state: JobState): Promise<void>;
}

/** The three stores one deployment provides to the engine. */
export interface EngineStores {
  history: RunHistory;
  leases: PartitionLeases;
  jobState: JobStateStore;
}
