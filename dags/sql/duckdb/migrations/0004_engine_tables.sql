-- 0004 DAG engine state, kept beside the data it describes.
-- Inputs:  the engine's RunHistory, PartitionLeases and JobStateStore (warehouse/duckdb/engine-stores.ts).
-- Outputs:
--   dag_runs       one row per task attempt (status succeeded | retrying | failed | skipped); a run is the
--                  rows sharing run_id. GET /v1/dags/runs reads it.
--   dag_leases     at most one owner per (job_id, partition) until expires_at: two runner replicas never
--                  run the same job partition at once.
--   dag_job_state  per job: the order-store watermark for late data and the last scheduled (full) tick.
CREATE TABLE IF NOT EXISTS dag_runs (
  run_id      VARCHAR   NOT NULL,
  job_id      VARCHAR   NOT NULL,
  partition   VARCHAR   NOT NULL,
  task        VARCHAR   NOT NULL,
  status      VARCHAR   NOT NULL,
  attempt     INTEGER   NOT NULL,
  started_at  TIMESTAMP NOT NULL,
  finished_at TIMESTAMP NOT NULL,
  rows        BIGINT,
  error       VARCHAR,
  runner_id   VARCHAR   NOT NULL
);

CREATE TABLE IF NOT EXISTS dag_leases (
  job_id      VARCHAR   NOT NULL,
  partition   VARCHAR   NOT NULL,
  owner       VARCHAR   NOT NULL,
  acquired_at TIMESTAMP NOT NULL,
  expires_at  TIMESTAMP NOT NULL,
  PRIMARY KEY (job_id, partition)
);

CREATE TABLE IF NOT EXISTS dag_job_state (
  job_id            VARCHAR PRIMARY KEY,
  dirty_watermark   TIMESTAMP,
  last_scheduled_at TIMESTAMP,
  updated_at        TIMESTAMP NOT NULL
);
