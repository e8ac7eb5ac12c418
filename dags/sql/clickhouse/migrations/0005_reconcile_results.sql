-- 0005 reconciliation per store and business day (jobs/reconcile_daily.ts); columns as in DuckDB's
-- sql/duckdb/migrations/0005_reconcile_results.sql, which documents each one.
-- Inputs:  the reconcile_daily job, once per business date.
-- Outputs: reconcile_results, one row per (business_date, store_id), a day replaced whole (staging table +
--          REPLACE PARTITION, like the rollups); v_reconcile_daily_store, the stable analyst name.
CREATE TABLE IF NOT EXISTS reconcile_results (
  business_date         Date,
  store_id              String,
  currency              String,
  acked_high_water      Int64,
  first_seq             Int64,
  last_seq              Int64,
  order_sales           Int64,
  order_total_minor     Int64,
  warehouse_sales       Int64,
  warehouse_total_minor Int64,
  seq_gaps              Int64,
  gap_seqs              String,
  status                String,
  run_id                String,
  checked_at            DateTime('UTC')
) ENGINE = MergeTree PARTITION BY business_date ORDER BY store_id;

DROP TABLE IF EXISTS v_reconcile_daily_store;
CREATE VIEW IF NOT EXISTS v_reconcile_daily_store AS
SELECT business_date, store_id, currency, acked_high_water, first_seq, last_seq, order_sales, order_total_minor,
       warehouse_sales, warehouse_total_minor, seq_gaps, gap_seqs, status, checked_at
FROM reconcile_results;
