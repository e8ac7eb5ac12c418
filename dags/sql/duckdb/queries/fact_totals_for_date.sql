-- fact_totals_for_date: reconciliation's view of one business day in the warehouse, per store.
-- Inputs:  $business_date; fact_sales_line.
-- Outputs: one row per store with facts that day: store_id, currency, sales (distinct event_ids) and
--          total_minor (receipt totals, unsigned, carried on line 1 only: a doubled load doubles it).
SELECT
  store_id,
  min(currency)                            AS currency,
  count(DISTINCT event_id)                 AS sales,
  CAST(sum(receipt_total_minor) AS BIGINT) AS total_minor
FROM fact_sales_line
WHERE business_date = CAST($business_date AS DATE)
GROUP BY store_id
ORDER BY store_id
