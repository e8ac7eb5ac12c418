-- rollup_sales_hourly_store: sales per store, business hour and currency for one business date.
-- Inputs:  fact_sales_line rows of $business_date.
-- Outputs: the rows of rollup_sales_hourly_store for $business_date (the adapter deletes the partition
--          and inserts these BY NAME in one transaction). Plain GROUP BY + conditional sums: on ClickHouse
--          the same shape is countDistinctIf / sumIf.
SELECT
  CAST($business_date AS DATE) AS business_date,
  business_hour,
  store_id,
  currency,
  count(DISTINCT CASE WHEN type = 'sale' THEN event_id END)                    AS receipts,
  sum(CASE WHEN type = 'sale' THEN qty ELSE 0 END)                             AS items,
  sum(CASE WHEN type = 'sale' THEN receipt_total_minor ELSE 0 END)             AS gross_minor,
  sum(CASE WHEN type = 'sale' THEN receipt_total_minor ELSE -receipt_total_minor END) AS net_minor,
  sum(CASE WHEN type = 'refund' THEN receipt_total_minor ELSE 0 END)           AS refunds_minor,
  sum(CASE WHEN type = 'void' THEN receipt_total_minor ELSE 0 END)             AS voids_minor
FROM fact_sales_line
WHERE business_date = CAST($business_date AS DATE)
GROUP BY business_hour, store_id, currency
