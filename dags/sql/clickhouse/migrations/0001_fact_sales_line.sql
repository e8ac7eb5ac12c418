-- 0001 fact_sales_line: one row per sale line, the grain every rollup is computed from.
-- Inputs:  rows written by WarehousePort.replaceFacts(business_date, rows) (the sales_rollups job's load_facts
--          task, from OrderStorePort.salesForDate).
-- Outputs: table fact_sales_line, one partition per business_date (the store's local calendar day). A load
--          fills a staging copy of the table and swaps the day in with ALTER TABLE … REPLACE PARTITION … FROM
--          (atomic for readers), so a day is never appended twice and never seen half-loaded.
-- Same columns, order and meaning as DuckDB's fact_sales_line. Amounts are unsigned integer minor units (the
-- sign comes from `type`, see v_fact_sales_line); receipt_tax_minor and receipt_total_minor ride on the
-- receipt's first line only (0 elsewhere), so sums over lines count each receipt once. occurred_at is
-- DateTime('UTC'), whole seconds (18.16 has no DateTime64). Text columns are plain String: LowCardinality
-- needs allow_experimental_low_cardinality_type on 18.16, and a SETTINGS clause only one version accepts is
-- not portable.
CREATE TABLE IF NOT EXISTS fact_sales_line (
  event_id            String,
  store_id            String,
  seq                 Int64,
  line_no             Int32,
  business_date       Date,
  business_hour       Int32,
  occurred_at         DateTime('UTC'),
  region              String,
  timezone            String,
  currency            String,
  type                String, -- sale | refund | void
  terminal_id         String,
  receipt_no          String,
  payment_method      String,
  customer_hash       Nullable(String),
  sku                 String,
  category            String,
  qty                 Int32,
  unit_price_minor    Int64,
  discount_minor      Int64,
  net_minor           Int64,
  unit_cost_minor     Int64,
  receipt_tax_minor   Int64,
  receipt_total_minor Int64
) ENGINE = MergeTree
PARTITION BY business_date
ORDER BY (store_id, seq, event_id, line_no);
