-- rollup_basket_daily_store: basket size and average ticket per store for one business date.
-- Inputs:  the business_date parameter; fact_sales_line rows of that day, sale receipts only (refunds and
--          voids are not baskets).
-- Outputs: the rows of rollup_basket_daily_store for the day; a store-day with no sale has no row.
--          avg_ticket_minor = gross_minor / receipts rounded half up in integer arithmetic (no float touches
--          money): intDiv(gross + intDiv(receipts, 2), receipts), both non-negative.
--          items_per_receipt repeats DuckDB's round(items / receipts, 2) step by step — x = items / receipts
--          × 100 in Float64, rounded half away from zero (floor(x) + (x − floor(x) >= 0.5)), / 100 — because
--          ClickHouse's own round() is half-away on 18.16 but banker's rounding on current versions.
SELECT
  {business_date:Date}                                                     AS business_date,
  store_id,
  currency,
  receipts,
  items,
  gross_minor,
  (floor(ratio_x100) + (ratio_x100 - floor(ratio_x100) >= 0.5)) / 100      AS items_per_receipt,
  intDiv(gross_minor + intDiv(receipts, 2), receipts)                      AS avg_ticket_minor
FROM (
  SELECT store_id, currency, receipts, items, gross_minor, items / receipts * 100 AS ratio_x100
  FROM (
    SELECT
      store_id,
      currency,
      uniqExact(event_id)      AS receipts,
      sum(qty)                 AS items,
      sum(receipt_total_minor) AS gross_minor
    FROM (
      SELECT store_id, currency, event_id, qty, receipt_total_minor
      FROM fact_sales_line
      WHERE business_date = {business_date:Date} AND type = 'sale'
    )
    GROUP BY store_id, currency
  )
  WHERE receipts > 0
)
