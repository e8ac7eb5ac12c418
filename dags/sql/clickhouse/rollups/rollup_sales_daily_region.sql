-- rollup_sales_daily_region: sales per region AND currency for one business date (never one sum across
-- currencies: a region with USD and CAD stores gets two rows).
-- Inputs:  the business_date parameter; fact_sales_line rows of that day.
-- Outputs: the rows of rollup_sales_daily_region for the day (receipt totals, tax included).
SELECT
  {business_date:Date}                                              AS business_date,
  region,
  currency,
  uniqExact(store_id)                                               AS stores,
  uniqExactIf(event_id, type = 'sale')                              AS receipts,
  sumIf(qty, type = 'sale')                                         AS items,
  sumIf(receipt_total_minor, type = 'sale')                         AS gross_minor,
  sum(if(type = 'sale', receipt_total_minor, -receipt_total_minor)) AS net_minor,
  sumIf(receipt_total_minor, type = 'refund')                       AS refunds_minor,
  sumIf(receipt_total_minor, type = 'void')                         AS voids_minor
FROM (
  SELECT region, currency, store_id, type, event_id, qty, receipt_total_minor
  FROM fact_sales_line
  WHERE business_date = {business_date:Date}
)
GROUP BY region, currency
