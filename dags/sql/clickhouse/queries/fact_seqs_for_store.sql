-- fact_seqs_for_store: reconciliation's view of the warehouse for one store.
-- Inputs:  parameters store_id (String), from_seq and to_seq (Int64); fact_sales_line (all business dates).
-- Outputs: one row per seq present: seq, sales (distinct event_ids holding it: > 1 means doubled) and
--          total_minor (their receipt totals, unsigned; carried on line 1 only, so the sum counts each once).
--          The filter on store_id and seq follows the table's sort key (store_id, seq, …).
SELECT
  seq,
  uniqExact(event_id)      AS sales,
  sum(receipt_total_minor) AS total_minor
FROM fact_sales_line
WHERE store_id = {store_id:String} AND seq BETWEEN {from_seq:Int64} AND {to_seq:Int64}
GROUP BY seq
ORDER BY seq
