-- rollup_margin_daily_store: revenue, cost and margin per store for one business date.
-- Inputs:  fact_sales_line rows of $business_date (unit_cost_minor = the store's cost per unit, in its currency).
-- Outputs: the rows of rollup_margin_daily_store for $business_date. Revenue is signed line nets (tax
--          excluded); cost is signed qty × unit_cost_minor, so a refunded or voided unit returns both.
--          margin_bp = margin / revenue in basis points, rounded; NULL when revenue <= 0.
WITH amounts AS (
  SELECT
    store_id,
    currency,
    sum(CASE WHEN type = 'sale' THEN net_minor ELSE -net_minor END)                         AS revenue_minor,
    sum(CASE WHEN type = 'sale' THEN qty * unit_cost_minor ELSE -(qty * unit_cost_minor) END) AS cost_minor
  FROM fact_sales_line
  WHERE business_date = CAST($business_date AS DATE)
  GROUP BY store_id, currency
)
SELECT
  CAST($business_date AS DATE) AS business_date,
  store_id,
  currency,
  revenue_minor,
  cost_minor,
  revenue_minor - cost_minor AS margin_minor,
  CASE WHEN revenue_minor > 0 THEN CAST(round((revenue_minor - cost_minor) * 10000.0 / revenue_minor) AS BIGINT) END AS margin_bp
FROM amounts
