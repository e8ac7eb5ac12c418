-- rollup_refund_void_rates_daily_store: refund and void counts, amounts and rates per store for one day.
-- Inputs:  fact_sales_line rows of $business_date.
-- Outputs: the rows of rollup_refund_void_rates_daily_store for $business_date. Rates are basis points of
--          sale receipts (refund_receipts × 10000 / sale_receipts, rounded to the nearest), NULL when the
--          store sold nothing that day. Amounts are receipt totals (tax included).
WITH counts AS (
  SELECT
    store_id,
    currency,
    count(DISTINCT CASE WHEN type = 'sale' THEN event_id END)          AS sale_receipts,
    count(DISTINCT CASE WHEN type = 'refund' THEN event_id END)        AS refund_receipts,
    count(DISTINCT CASE WHEN type = 'void' THEN event_id END)          AS void_receipts,
    sum(CASE WHEN type = 'sale' THEN receipt_total_minor ELSE 0 END)   AS gross_minor,
    sum(CASE WHEN type = 'refund' THEN receipt_total_minor ELSE 0 END) AS refunds_minor,
    sum(CASE WHEN type = 'void' THEN receipt_total_minor ELSE 0 END)   AS voids_minor
  FROM fact_sales_line
  WHERE business_date = CAST($business_date AS DATE)
  GROUP BY store_id, currency
)
SELECT
  CAST($business_date AS DATE) AS business_date,
  store_id,
  currency,
  sale_receipts,
  refund_receipts,
  void_receipts,
  gross_minor,
  refunds_minor,
  voids_minor,
  CASE WHEN sale_receipts > 0 THEN CAST(round(refund_receipts * 10000.0 / sale_receipts) AS BIGINT) END AS refund_rate_bp,
  CASE WHEN sale_receipts > 0 THEN CAST(round(void_receipts * 10000.0 / sale_receipts) AS BIGINT) END   AS void_rate_bp
FROM counts
