-- rollup_sales_daily_store_category: units and line nets per store, category and currency for one day.
-- Inputs:  the business_date parameter; fact_sales_line rows of that day.
-- Outputs: the rows of rollup_sales_daily_store_category for the day (tax excluded: line amounts).
-- net_minor is read as line_net_minor so the output alias net_minor does not shadow it.
SELECT
  {business_date:Date}                                       AS business_date,
  store_id,
  category,
  currency,
  sumIf(qty, type = 'sale')                                  AS units_sold,
  sumIf(qty, type = 'refund')                                AS units_refunded,
  sumIf(qty, type = 'void')                                  AS units_voided,
  sumIf(line_net_minor, type = 'sale')                       AS gross_minor,
  sumIf(line_net_minor, type = 'refund')                     AS refunds_minor,
  sumIf(line_net_minor, type = 'void')                       AS voids_minor,
  sum(if(type = 'sale', line_net_minor, -line_net_minor))    AS net_minor
FROM (
  SELECT store_id, category, currency, type, qty, net_minor AS line_net_minor
  FROM fact_sales_line
  WHERE business_date = {business_date:Date}
)
GROUP BY store_id, category, currency
