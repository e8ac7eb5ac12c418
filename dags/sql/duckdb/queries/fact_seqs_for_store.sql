-- fact_seqs_for_store: reconciliation's view of the warehouse for one store.
-- Inputs:  $store_id, $from_seq, $to_seq; fact_sales_line (all business dates).
-- Outputs: one row per seq present: seq, sales (distinct event_ids holding it: > 1 means doubled) and
--          total_minor (their receipt totals, unsigned; carried on line 1 only, so the sum counts each once).
SELECT
  seq,
  count(DISTINCT event_id)               AS sales,
  CAST(sum(receipt_total_minor) AS BIGINT) AS total_minor
FROM fact_sales_line
WHERE store_id = $store_id AND seq BETWEEN $from_seq AND $to_seq
GROUP BY seq
ORDER BY seq
