-- rollup_sales_daily_store_category: units and line nets per store, category and currency for one day.
-- Inputs:  fact_sales_line rows of $business_date.
-- Outputs: the rows of rollup_sales_daily_store_category for $business_date (tax excluded: line amounts).
SELECT
  CAST($business_date AS DATE) AS business_date,
  store_id,
  category,
  currency,
  sum(CASE WHEN type = 'sale' THEN qty ELSE 0 END)          AS units_sold,
  sum(CASE WHEN type = 'refund' THEN qty ELSE 0 END)        AS units_refunded,
  sum(CASE WHEN type = 'void' THEN qty ELSE 0 END)          AS units_voided,
  sum(CASE WHEN type = 'sale' THEN net_minor ELSE 0 END)    AS gross_minor,
  sum(CASE WHEN type = 'refund' THEN net_minor ELSE 0 END)  AS refunds_minor,
  sum(CASE WHEN type = 'void' THEN net_minor ELSE 0 END)    AS voids_minor,
  sum(CASE WHEN type = 'sale' THEN net_minor ELSE -net_minor END) AS net_minor
FROM fact_sales_line
WHERE business_date = CAST($business_date AS DATE)
GROUP BY store_id, category, currency
