-- rollup_sales_hourly_store: sales per store, business hour and currency for one business date.
-- Inputs:  the business_date parameter; fact_sales_line rows of that day.
-- Outputs: the rows of rollup_sales_hourly_store for the day (the adapter inserts them by column name into
--          a staging table and swaps the partition in). Same numbers as sql/duckdb/rollups/ (uniqExactIf
--          and sumIf for DuckDB's count(DISTINCT CASE …) and sum(CASE …)).
-- The day's facts are read in a subquery: a ClickHouse alias equal to a column name (business_date,
-- net_minor) would replace that column everywhere in the query, WHERE included.
SELECT
  {business_date:Date}                                         AS business_date,
  business_hour,
  store_id,
  currency,
  uniqExactIf(event_id, type = 'sale')                         AS receipts,
  sumIf(qty, type = 'sale')                                    AS items,
  sumIf(receipt_total_minor, type = 'sale')                    AS gross_minor,
  sum(if(type = 'sale', receipt_total_minor, -receipt_total_minor)) AS net_minor,
  sumIf(receipt_total_minor, type = 'refund')                  AS refunds_minor,
  sumIf(receipt_total_minor, type = 'void')                    AS voids_minor
FROM (
  SELECT business_hour, store_id, currency, type, event_id, qty, receipt_total_minor
  FROM fact_sales_line
  WHERE business_date = {business_date:Date}
)
GROUP BY business_hour, store_id, currency
