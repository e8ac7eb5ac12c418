-- rollup_margin_daily_store: revenue, cost and margin per store for one business date.
-- Inputs:  the business_date parameter; fact_sales_line rows of that day (unit_cost_minor = the store's
--          cost per unit, in its currency).
-- Outputs: the rows of rollup_margin_daily_store for the day. Revenue is signed line nets (tax excluded);
--          cost is signed qty × unit_cost_minor, so a refunded or voided unit returns both. margin_bp =
--          margin × 10000 / revenue in Float64 (as DuckDB computes it), rounded half away from zero by hand
--          (sign × (floor(|x|) + (|x| − floor(|x|) >= 0.5))); NULL when revenue <= 0 (the divisor is
--          greatest(revenue, 1) so the unused branch of if() never divides by zero).
SELECT
  {business_date:Date}        AS business_date,
  store_id,
  currency,
  revenue_minor,
  cost_minor,
  revenue_minor - cost_minor  AS margin_minor,
  if(revenue_minor > 0, toInt64(if(margin_x < 0, -1, 1) * (floor(abs(margin_x)) + (abs(margin_x) - floor(abs(margin_x)) >= 0.5))), NULL) AS margin_bp
FROM (
  SELECT *, (revenue_minor - cost_minor) * 10000 / greatest(revenue_minor, 1) AS margin_x
  FROM (
    SELECT
      store_id,
      currency,
      sum(if(type = 'sale', line_net_minor, -line_net_minor))   AS revenue_minor,
      sum(if(type = 'sale', line_cost_minor, -line_cost_minor)) AS cost_minor
    FROM (
      SELECT store_id, currency, type, net_minor AS line_net_minor, qty * unit_cost_minor AS line_cost_minor
      FROM fact_sales_line
      WHERE business_date = {business_date:Date}
    )
    GROUP BY store_id, currency
  )
)
