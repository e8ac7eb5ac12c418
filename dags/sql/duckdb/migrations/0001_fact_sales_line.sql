-- 0001 fact_sales_line: one row per sale line, the grain every rollup is computed from.
-- Inputs:  rows written by WarehousePort.replaceFacts(business_date, rows) (the sales_rollups job's load_facts
--          task, from OrderStorePort.salesForDate).
-- Outputs: table fact_sales_line, partitioned by business_date (the store's local calendar day): a load
--          deletes the whole day and inserts it again in one transaction, so it is never appended twice.
-- Amounts are stored as the receipt carries them (non-negative integer minor units, one currency per row);
-- the sign comes from `type` and is applied in SQL (see v_fact_sales_line). receipt_tax_minor and
-- receipt_total_minor are repeated on the receipt's first line only (0 elsewhere), so SUMs over lines
-- count each receipt once.
CREATE TABLE IF NOT EXISTS fact_sales_line (
  event_id            VARCHAR  NOT NULL,
  store_id            VARCHAR  NOT NULL,
  seq                 BIGINT   NOT NULL,
  line_no             INTEGER  NOT NULL,
  business_date       DATE     NOT NULL,
  business_hour       INTEGER  NOT NULL,
  occurred_at         TIMESTAMP NOT NULL, -- UTC
  region              VARCHAR  NOT NULL,
  timezone            VARCHAR  NOT NULL,
  currency            VARCHAR  NOT NULL,
  type                VARCHAR  NOT NULL, -- sale | refund | void
  terminal_id         VARCHAR  NOT NULL,
  receipt_no          VARCHAR  NOT NULL,
  payment_method      VARCHAR  NOT NULL,
  customer_hash       VARCHAR,
  sku                 VARCHAR  NOT NULL,
  category            VARCHAR  NOT NULL,
  qty                 INTEGER  NOT NULL,
  unit_price_minor    BIGINT   NOT NULL,
  discount_minor      BIGINT   NOT NULL,
  net_minor           BIGINT   NOT NULL,
  unit_cost_minor     BIGINT   NOT NULL,
  receipt_tax_minor   BIGINT   NOT NULL,
  receipt_total_minor BIGINT   NOT NULL
);
