-- rollup_basket_daily_store: basket size and average ticket per store for one business date.
-- Inputs:  fact_sales_line rows of $business_date, sale receipts only (refunds and voids are not baskets).
-- Outputs: the rows of rollup_basket_daily_store for $business_date; a store-day with no sale has no row.
--          avg_ticket_minor = gross_minor / receipts rounded half up, in integer arithmetic (no float
--          touches money): (gross + receipts // 2) // receipts, both non-negative.
WITH baskets AS (
  SELECT
    store_id,
    currency,
    count(DISTINCT event_id)       AS receipts,
    sum(qty)                       AS items,
    sum(receipt_total_minor)       AS gross_minor
  FROM fact_sales_line
  WHERE business_date = CAST($business_date AS DATE) AND type = 'sale'
  GROUP BY store_id, currency
)
SELECT
  CAST($business_date AS DATE)                          AS business_date,
  store_id,
  currency,
  receipts,
  items,
  gross_minor,
  round(items / receipts, 2)                            AS items_per_receipt,
  (gross_minor + receipts // 2) // receipts             AS avg_ticket_minor
FROM baskets
WHERE receipts > 0
