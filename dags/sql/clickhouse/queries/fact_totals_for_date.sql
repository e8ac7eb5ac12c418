-- fact_totals_for_date: reconciliation's view of one business day in the warehouse, per store.
-- Inputs:  parameter business_date (Date); fact_sales_line (one partition read).
-- Outputs: one row per store with facts that day: store_id, currency, sales (distinct event_ids) and
--          total_minor (receipt totals, unsigned, carried on line 1 only: a doubled load doubles it).
--          The day is read in a subquery with renamed columns: an alias equal to a column name would
--          replace that column in the whole query.
SELECT
  store_id,
  min(day_currency)        AS currency,
  uniqExact(event_id)      AS sales,
  sum(receipt_total_minor) AS total_minor
FROM (
  SELECT store_id, currency AS day_currency, event_id, receipt_total_minor
  FROM fact_sales_line
  WHERE business_date = {business_date:Date}
)
GROUP BY store_id
ORDER BY store_id
