-- 0003 analyst views: the stable names analysts and dashboards query, the same names and columns as DuckDB's
-- (sql/duckdb/migrations/0003_analyst_views.sql). Tables may be reshaped by later migrations; these stay.
-- Inputs:  fact_sales_line and the rollup_* tables.
-- Outputs:
--   v_fact_sales_line                 fact_sales_line + signed_qty, signed_net_minor, signed_receipt_total_minor, line_cost_minor (signed)
--   v_sales_hourly_store              business_date, business_hour, store_id, currency, receipts, items, gross_minor, net_minor, refunds_minor, voids_minor
--   v_sales_daily_store               the same per day (hours summed)
--   v_sales_daily_store_category      see rollup_sales_daily_store_category
--   v_sales_daily_region              per region and currency
--   v_top_products_daily              top 10 SKUs per store and day
--   v_basket_daily_store              receipts, items, items_per_receipt, avg_ticket_minor
--   v_refund_void_rates_daily_store   refund/void counts, amounts and rates (basis points)
--   v_margin_daily_store              revenue, cost, margin (minor units) and margin_bp
-- Portable to 18.16 and current ClickHouse: no CREATE OR REPLACE VIEW and no DROP VIEW on 18.16, so each
-- view is DROP TABLE IF EXISTS + CREATE VIEW IF NOT EXISTS: re-runnable, and two runners migrating at once
-- cannot fail on each other's view. A view's tables are bound to this database when it is created. v_sales_daily_store sums from a subquery with renamed columns: a ClickHouse alias equal
-- to a column name replaces that column everywhere in the query.
DROP TABLE IF EXISTS v_fact_sales_line;
CREATE VIEW IF NOT EXISTS v_fact_sales_line AS
SELECT
  *,
  if(type = 'sale', qty, -qty)                                 AS signed_qty,
  if(type = 'sale', net_minor, -net_minor)                     AS signed_net_minor,
  if(type = 'sale', receipt_total_minor, -receipt_total_minor) AS signed_receipt_total_minor,
  if(type = 'sale', 1, -1) * qty * unit_cost_minor             AS line_cost_minor
FROM fact_sales_line;

DROP TABLE IF EXISTS v_sales_hourly_store;
CREATE VIEW IF NOT EXISTS v_sales_hourly_store AS
SELECT business_date, business_hour, store_id, currency, receipts, items, gross_minor, net_minor, refunds_minor, voids_minor
FROM rollup_sales_hourly_store;

DROP TABLE IF EXISTS v_sales_daily_store;
CREATE VIEW IF NOT EXISTS v_sales_daily_store AS
SELECT
  day AS business_date, store AS store_id, money AS currency,
  sum(hour_receipts) AS receipts,
  sum(hour_items)    AS items,
  sum(hour_gross)    AS gross_minor,
  sum(hour_net)      AS net_minor,
  sum(hour_refunds)  AS refunds_minor,
  sum(hour_voids)    AS voids_minor
FROM (
  SELECT business_date AS day, store_id AS store, currency AS money, receipts AS hour_receipts, items AS hour_items,
         gross_minor AS hour_gross, net_minor AS hour_net, refunds_minor AS hour_refunds, voids_minor AS hour_voids
  FROM rollup_sales_hourly_store
)
GROUP BY day, store, money;

DROP TABLE IF EXISTS v_sales_daily_store_category;
CREATE VIEW IF NOT EXISTS v_sales_daily_store_category AS SELECT * FROM rollup_sales_daily_store_category;
DROP TABLE IF EXISTS v_sales_daily_region;
CREATE VIEW IF NOT EXISTS v_sales_daily_region AS SELECT * FROM rollup_sales_daily_region;
DROP TABLE IF EXISTS v_top_products_daily;
CREATE VIEW IF NOT EXISTS v_top_products_daily AS SELECT * FROM rollup_top_products_daily;
DROP TABLE IF EXISTS v_basket_daily_store;
CREATE VIEW IF NOT EXISTS v_basket_daily_store AS SELECT * FROM rollup_basket_daily_store;
DROP TABLE IF EXISTS v_refund_void_rates_daily_store;
CREATE VIEW IF NOT EXISTS v_refund_void_rates_daily_store AS SELECT * FROM rollup_refund_void_rates_daily_store;
DROP TABLE IF EXISTS v_margin_daily_store;
CREATE VIEW IF NOT EXISTS v_margin_daily_store AS SELECT * FROM rollup_margin_daily_store;
