-- rollup_sales_daily_region: sales per region AND currency for one business date (never one sum across
-- currencies: a region with USD and CAD stores gets two rows).
-- Inputs:  fact_sales_line rows of $business_date.
-- Outputs: the rows of rollup_sales_daily_region for $business_date (receipt totals, tax included).
SELECT
  CAST($business_date AS DATE) AS business_date,
  region,
  currency,
  count(DISTINCT store_id)                                                     AS stores,
  count(DISTINCT CASE WHEN type = 'sale' THEN event_id END)                    AS receipts,
  sum(CASE WHEN type = 'sale' THEN qty ELSE 0 END)                             AS items,
  sum(CASE WHEN type = 'sale' THEN receipt_total_minor ELSE 0 END)             AS gross_minor,
  sum(CASE WHEN type = 'sale' THEN receipt_total_minor ELSE -receipt_total_minor END) AS net_minor,
  sum(CASE WHEN type = 'refund' THEN receipt_total_minor ELSE 0 END)           AS refunds_minor,
  sum(CASE WHEN type = 'void' THEN receipt_total_minor ELSE 0 END)             AS voids_minor
FROM fact_sales_line
WHERE business_date = CAST($business_date AS DATE)
GROUP BY region, currency
