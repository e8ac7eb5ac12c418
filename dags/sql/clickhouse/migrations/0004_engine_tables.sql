-- 0004 DAG engine state, kept beside the data it describes (warehouse/clickhouse/engine-stores.ts).
-- Inputs:  the engine's RunHistory, PartitionLeases and JobStateStore.
-- Outputs:
--   dag_runs       one row per task attempt (status succeeded | retrying | failed | skipped); a run is the rows
--                  sharing run_id. Times are kept to the millisecond in *_ms (epoch ms; 18.16 has no
--                  DateTime64) and to the second in the DateTime columns analysts read.
--   dag_leases     lease claims, one row per (job_id, partition, owner) and version: ClickHouse has no
--                  compare-and-set, so a claim is decided by the claim-settle-check protocol in
--                  engine-stores.ts (Fischer's algorithm); rows are read with FINAL.
--   dag_job_state  per job: the order-store watermark for late data and the last scheduled (full) tick, as
--                  epoch ms; the newest version wins (ReplacingMergeTree, read with FINAL).
CREATE TABLE IF NOT EXISTS dag_runs (
  run_id         String,
  job_id         String,
  partition      String,
  task           String,
  status         String,
  attempt        Int32,
  started_at     DateTime('UTC'),
  finished_at    DateTime('UTC'),
  started_at_ms  Int64,
  finished_at_ms Int64,
  rows           Nullable(Int64),
  error          Nullable(String),
  runner_id      String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(started_at)
ORDER BY (job_id, partition, started_at_ms);

CREATE TABLE IF NOT EXISTS dag_leases (
  job_id        String,
  partition     String,
  owner         String,
  token         String, -- random per claim; the lowest live token wins a contended claim
  claimed_at_ms Int64,
  expires_at_ms Int64,
  released      UInt8,
  version       UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (job_id, partition, owner);

CREATE TABLE IF NOT EXISTS dag_job_state (
  job_id               String,
  dirty_watermark_ms   Nullable(Int64),
  last_scheduled_at_ms Nullable(Int64),
  updated_at           DateTime('UTC'),
  version              UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY job_id;
