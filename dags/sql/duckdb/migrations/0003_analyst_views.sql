-- 0003 analyst views: the stable names analysts and dashboards query. Tables may be reshaped by later
-- migrations; these names and columns stay.
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
CREATE OR REPLACE VIEW v_fact_sales_line AS
SELECT
  f.*,
  CASE WHEN f.type = 'sale' THEN f.qty ELSE -f.qty END                                 AS signed_qty,
  CASE WHEN f.type = 'sale' THEN f.net_minor ELSE -f.net_minor END                     AS signed_net_minor,
  CASE WHEN f.type = 'sale' THEN f.receipt_total_minor ELSE -f.receipt_total_minor END AS signed_receipt_total_minor,
  CASE WHEN f.type = 'sale' THEN 1 ELSE -1 END * f.qty * f.unit_cost_minor             AS line_cost_minor
FROM fact_sales_line AS f;

CREATE OR REPLACE VIEW v_sales_hourly_store AS
SELECT business_date, business_hour, store_id, currency, receipts, items, gross_minor, net_minor, refunds_minor, voids_minor
FROM rollup_sales_hourly_store;

CREATE OR REPLACE VIEW v_sales_daily_store AS
SELECT
  business_date, store_id, currency,
  CAST(sum(receipts) AS BIGINT)      AS receipts,
  CAST(sum(items) AS BIGINT)         AS items,
  CAST(sum(gross_minor) AS BIGINT)   AS gross_minor,
  CAST(sum(net_minor) AS BIGINT)     AS net_minor,
  CAST(sum(refunds_minor) AS BIGINT) AS refunds_minor,
  CAST(sum(voids_minor) AS BIGINT)   AS voids_minor
FROM rollup_sales_hourly_store
GROUP BY business_date, store_id, currency;

CREATE OR REPLACE VIEW v_sales_daily_store_category AS SELECT * FROM rollup_sales_daily_store_category;
CREATE OR REPLACE VIEW v_sales_daily_region AS SELECT * FROM rollup_sales_daily_region;
CREATE OR REPLACE VIEW v_top_products_daily AS SELECT * FROM rollup_top_products_daily;
CREATE OR REPLACE VIEW v_basket_daily_store AS SELECT * FROM rollup_basket_daily_store;
CREATE OR REPLACE VIEW v_refund_void_rates_daily_store AS SELECT * FROM rollup_refund_void_rates_daily_store;
CREATE OR REPLACE VIEW v_margin_daily_store AS SELECT * FROM rollup_margin_daily_store;
