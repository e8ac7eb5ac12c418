-- 0002 rollup tables. Each is replaced per business_date partition by WarehousePort.runRollup(name, date)
-- (DELETE WHERE business_date = ? + INSERT … SELECT from sql/duckdb/rollups/<name>.sql, one transaction).
-- Inputs:  fact_sales_line.
-- Outputs: the tables below. Money is integer minor units with its currency column; no sum ever spans
--          two currencies (currency is in every GROUP BY). "signed" = sales add, refunds and voids subtract.
--          Receipt-level money (gross/net/refunds/voids in the sales tables) is receipt_total_minor, tax
--          included; line-level money (category, top products, margin) is the line net, tax excluded.

-- Per store, business hour (store-local; on a fall-back day one hour holds two real hours).
CREATE TABLE IF NOT EXISTS rollup_sales_hourly_store (
  business_date DATE    NOT NULL,
  business_hour INTEGER NOT NULL,
  store_id      VARCHAR NOT NULL,
  currency      VARCHAR NOT NULL,
  receipts      BIGINT  NOT NULL, -- sale receipts (refunds and voids are not receipts sold)
  items         BIGINT  NOT NULL, -- units on sale receipts
  gross_minor   BIGINT  NOT NULL, -- sale receipt totals
  net_minor     BIGINT  NOT NULL, -- gross − refunds − voids (signed)
  refunds_minor BIGINT  NOT NULL,
  voids_minor   BIGINT  NOT NULL
);

CREATE TABLE IF NOT EXISTS rollup_sales_daily_store_category (
  business_date  DATE    NOT NULL,
  store_id       VARCHAR NOT NULL,
  category       VARCHAR NOT NULL,
  currency       VARCHAR NOT NULL,
  units_sold     BIGINT  NOT NULL,
  units_refunded BIGINT  NOT NULL,
  units_voided   BIGINT  NOT NULL,
  gross_minor    BIGINT  NOT NULL, -- sale line nets
  refunds_minor  BIGINT  NOT NULL, -- refund line nets
  voids_minor    BIGINT  NOT NULL, -- void line nets
  net_minor      BIGINT  NOT NULL  -- signed
);

-- Per region AND currency: a region may hold stores in several currencies (one row each).
CREATE TABLE IF NOT EXISTS rollup_sales_daily_region (
  business_date DATE    NOT NULL,
  region        VARCHAR NOT NULL,
  currency      VARCHAR NOT NULL,
  stores        BIGINT  NOT NULL, -- stores with any fact that day
  receipts      BIGINT  NOT NULL,
  items         BIGINT  NOT NULL,
  gross_minor   BIGINT  NOT NULL,
  net_minor     BIGINT  NOT NULL,
  refunds_minor BIGINT  NOT NULL,
  voids_minor   BIGINT  NOT NULL
);

-- Top 10 SKUs per store and day (per store, so revenue stays in the store's one currency), ranked by net
-- units (sold − refunded − voided) descending, ties by sku ascending; SKUs with net units <= 0 are left out.
CREATE TABLE IF NOT EXISTS rollup_top_products_daily (
  business_date DATE    NOT NULL,
  store_id      VARCHAR NOT NULL,
  rank          INTEGER NOT NULL, -- 1..10
  sku           VARCHAR NOT NULL,
  category      VARCHAR NOT NULL,
  currency      VARCHAR NOT NULL,
  units         BIGINT  NOT NULL, -- net units
  revenue_minor BIGINT  NOT NULL  -- signed line nets of the SKU
);

-- Sale receipts only; store-days without a sale receipt have no row.
CREATE TABLE IF NOT EXISTS rollup_basket_daily_store (
  business_date     DATE    NOT NULL,
  store_id          VARCHAR NOT NULL,
  currency          VARCHAR NOT NULL,
  receipts          BIGINT  NOT NULL,
  items             BIGINT  NOT NULL,
  gross_minor       BIGINT  NOT NULL,
  items_per_receipt DOUBLE  NOT NULL, -- items / receipts, rounded to 2 decimals (a ratio, not money)
  avg_ticket_minor  BIGINT  NOT NULL  -- gross_minor / receipts rounded half up, in integers: (g + r div 2) div r
);

-- Rates in basis points (1/100 of a percent) of sale receipts, rounded to the nearest; NULL without sales.
CREATE TABLE IF NOT EXISTS rollup_refund_void_rates_daily_store (
  business_date   DATE    NOT NULL,
  store_id        VARCHAR NOT NULL,
  currency        VARCHAR NOT NULL,
  sale_receipts   BIGINT  NOT NULL,
  refund_receipts BIGINT  NOT NULL,
  void_receipts   BIGINT  NOT NULL,
  gross_minor     BIGINT  NOT NULL,
  refunds_minor   BIGINT  NOT NULL,
  voids_minor     BIGINT  NOT NULL,
  refund_rate_bp  BIGINT,
  void_rate_bp    BIGINT
);

-- Revenue and cost are signed line amounts: a refunded or voided unit takes back its revenue and its cost.
CREATE TABLE IF NOT EXISTS rollup_margin_daily_store (
  business_date DATE    NOT NULL,
  store_id      VARCHAR NOT NULL,
  currency      VARCHAR NOT NULL,
  revenue_minor BIGINT  NOT NULL, -- signed line nets (tax excluded)
  cost_minor    BIGINT  NOT NULL, -- signed qty × unit_cost_minor
  margin_minor  BIGINT  NOT NULL, -- revenue − cost
  margin_bp     BIGINT            -- margin / revenue in basis points, rounded; NULL when revenue <= 0
);
