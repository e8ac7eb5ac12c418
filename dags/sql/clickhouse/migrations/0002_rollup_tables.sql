-- 0002 rollup tables, one partition per business_date. WarehousePort.runRollup(name, date) runs
-- sql/clickhouse/rollups/<name>.sql into a staging copy of the table and swaps the day in with
-- ALTER TABLE … REPLACE PARTITION … FROM, so a rerun replaces the day and readers never see half of it.
-- Inputs:  fact_sales_line.
-- Outputs: the tables below, column for column DuckDB's (sql/duckdb/migrations/0002_rollup_tables.sql).
--          Money is Int64 minor units with its currency column; no sum spans two currencies (currency is in
--          every GROUP BY). "signed" = sales add, refunds and voids subtract. Receipt-level money (the sales
--          tables) is receipt_total_minor, tax included; line-level money (category, top products, margin)
--          is the line net, tax excluded.

-- Per store, business hour (store-local; on a fall-back day one hour holds two real hours).
CREATE TABLE IF NOT EXISTS rollup_sales_hourly_store (
  business_date Date,
  business_hour Int32,
  store_id      String,
  currency      String,
  receipts      Int64, -- sale receipts (refunds and voids are not receipts sold)
  items         Int64, -- units on sale receipts
  gross_minor   Int64, -- sale receipt totals
  net_minor     Int64, -- gross − refunds − voids (signed)
  refunds_minor Int64,
  voids_minor   Int64
) ENGINE = MergeTree PARTITION BY business_date ORDER BY (store_id, business_hour, currency);

CREATE TABLE IF NOT EXISTS rollup_sales_daily_store_category (
  business_date  Date,
  store_id       String,
  category       String,
  currency       String,
  units_sold     Int64,
  units_refunded Int64,
  units_voided   Int64,
  gross_minor    Int64, -- sale line nets
  refunds_minor  Int64, -- refund line nets
  voids_minor    Int64, -- void line nets
  net_minor      Int64  -- signed
) ENGINE = MergeTree PARTITION BY business_date ORDER BY (store_id, category, currency);

-- Per region AND currency: a region may hold stores in several currencies (one row each).
CREATE TABLE IF NOT EXISTS rollup_sales_daily_region (
  business_date Date,
  region        String,
  currency      String,
  stores        Int64, -- stores with any fact that day
  receipts      Int64,
  items         Int64,
  gross_minor   Int64,
  net_minor     Int64,
  refunds_minor Int64,
  voids_minor   Int64
) ENGINE = MergeTree PARTITION BY business_date ORDER BY (region, currency);

-- Top 10 SKUs per store and day, ranked by net units (sold − refunded − voided) descending, ties by sku
-- ascending; SKUs with net units <= 0 are left out.
CREATE TABLE IF NOT EXISTS rollup_top_products_daily (
  business_date Date,
  store_id      String,
  rank          Int32, -- 1..10
  sku           String,
  category      String,
  currency      String,
  units         Int64, -- net units
  revenue_minor Int64  -- signed line nets of the SKU
) ENGINE = MergeTree PARTITION BY business_date ORDER BY (store_id, rank);

-- Sale receipts only; store-days without a sale receipt have no row.
CREATE TABLE IF NOT EXISTS rollup_basket_daily_store (
  business_date     Date,
  store_id          String,
  currency          String,
  receipts          Int64,
  items             Int64,
  gross_minor       Int64,
  items_per_receipt Float64, -- items / receipts, rounded to 2 decimals half away from zero (a ratio, not money)
  avg_ticket_minor  Int64    -- gross_minor / receipts rounded half up, in integers: (g + r div 2) div r
) ENGINE = MergeTree PARTITION BY business_date ORDER BY (store_id, currency);

-- Rates in basis points of sale receipts, rounded to the nearest (half away from zero); NULL without sales.
CREATE TABLE IF NOT EXISTS rollup_refund_void_rates_daily_store (
  business_date   Date,
  store_id        String,
  currency        String,
  sale_receipts   Int64,
  refund_receipts Int64,
  void_receipts   Int64,
  gross_minor     Int64,
  refunds_minor   Int64,
  voids_minor     Int64,
  refund_rate_bp  Nullable(Int64),
  void_rate_bp    Nullable(Int64)
) ENGINE = MergeTree PARTITION BY business_date ORDER BY (store_id, currency);

-- Revenue and cost are signed line amounts: a refunded or voided unit takes back its revenue and its cost.
CREATE TABLE IF NOT EXISTS rollup_margin_daily_store (
  business_date Date,
  store_id      String,
  currency      String,
  revenue_minor Int64,          -- signed line nets (tax excluded)
  cost_minor    Int64,          -- signed qty × unit_cost_minor
  margin_minor  Int64,          -- revenue − cost
  margin_bp     Nullable(Int64) -- margin / revenue in basis points, rounded half away from zero; NULL when revenue <= 0
) ENGINE = MergeTree PARTITION BY business_date ORDER BY (store_id, currency);
