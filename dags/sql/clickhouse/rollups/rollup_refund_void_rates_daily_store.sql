-- rollup_refund_void_rates_daily_store: refund and void counts, amounts and rates per store for one day.
-- Inputs:  the business_date parameter; fact_sales_line rows of that day.
-- Outputs: the rows of rollup_refund_void_rates_daily_store for the day. Rates are basis points of sale
--          receipts: x = receipts × 10000 / sale_receipts in Float64 (as DuckDB computes it), rounded half
--          away from zero by hand (ClickHouse's round() changed to banker's rounding after 18.16), NULL when
--          the store sold nothing that day. Amounts are receipt totals (tax included). The divisor is
--          greatest(sale_receipts, 1) so the unused branch of if() never converts inf/nan to an integer.
SELECT
  {business_date:Date} AS business_date,
  store_id,
  currency,
  sale_receipts,
  refund_receipts,
  void_receipts,
  gross_minor,
  refunds_minor,
  voids_minor,
  if(sale_receipts > 0, toInt64(floor(refund_x) + (refund_x - floor(refund_x) >= 0.5)), NULL) AS refund_rate_bp,
  if(sale_receipts > 0, toInt64(floor(void_x) + (void_x - floor(void_x) >= 0.5)), NULL)       AS void_rate_bp
FROM (
  SELECT
    *,
    refund_receipts * 10000 / greatest(sale_receipts, 1) AS refund_x,
    void_receipts * 10000 / greatest(sale_receipts, 1)   AS void_x
  FROM (
    SELECT
      store_id,
      currency,
      uniqExactIf(event_id, type = 'sale')        AS sale_receipts,
      uniqExactIf(event_id, type = 'refund')      AS refund_receipts,
      uniqExactIf(event_id, type = 'void')        AS void_receipts,
      sumIf(receipt_total_minor, type = 'sale')   AS gross_minor,
      sumIf(receipt_total_minor, type = 'refund') AS refunds_minor,
      sumIf(receipt_total_minor, type = 'void')   AS voids_minor
    FROM (
      SELECT store_id, currency, type, event_id, receipt_total_minor
      FROM fact_sales_line
      WHERE business_date = {business_date:Date}
    )
    GROUP BY store_id, currency
  )
)
