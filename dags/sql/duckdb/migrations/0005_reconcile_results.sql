-- 0005 reconciliation per store and business day (jobs/reconcile_daily.ts).
-- Inputs:  the reconcile_daily job, once per business date: the order store's sales of the day, the
--          warehouse facts of the day, the store's acked seq range and its dead letters.
-- Outputs:
--   reconcile_results         one row per (business_date, store_id); a run replaces its whole day.
--     currency                the store's currency (sums never span two)
--     acked_high_water        the store's high-water seq as central last recorded it
--     first_seq, last_seq     lowest and highest stored seq dated that day (0 when none)
--     order_sales             sales (distinct event_ids) the order store holds for the day
--     order_total_minor       their total_minor summed UNSIGNED (a refund adds): a row check, not revenue
--     warehouse_sales         distinct event_ids in fact_sales_line for the day
--     warehouse_total_minor   receipt_total_minor summed unsigned (carried on line 1 only)
--     seq_gaps                seqs in 1..acked_high_water in neither the order store nor the unreplayed dead
--                             letters, attributed to this day (the day of the stored seq just below the gap)
--     gap_seqs                the first 100 of them, comma separated
--     status                  'match' | 'mismatch' (counts or sums differ) | 'gap' (they agree, seqs missing)
--   v_reconcile_daily_store   the same columns; the stable name analysts and dashboards read.
CREATE TABLE IF NOT EXISTS reconcile_results (
  business_date         DATE      NOT NULL,
  store_id              VARCHAR   NOT NULL,
  currency              VARCHAR   NOT NULL,
  acked_high_water      BIGINT    NOT NULL,
  first_seq             BIGINT    NOT NULL,
  last_seq              BIGINT    NOT NULL,
  order_sales           BIGINT    NOT NULL,
  order_total_minor     BIGINT    NOT NULL,
  warehouse_sales       BIGINT    NOT NULL,
  warehouse_total_minor BIGINT    NOT NULL,
  seq_gaps              BIGINT    NOT NULL,
  gap_seqs              VARCHAR   NOT NULL,
  status                VARCHAR   NOT NULL,
  run_id                VARCHAR   NOT NULL,
  checked_at            TIMESTAMP NOT NULL
);

CREATE OR REPLACE VIEW v_reconcile_daily_store AS
SELECT business_date, store_id, currency, acked_high_water, first_seq, last_seq, order_sales, order_total_minor,
       warehouse_sales, warehouse_total_minor, seq_gaps, gap_seqs, status, checked_at
FROM reconcile_results;
