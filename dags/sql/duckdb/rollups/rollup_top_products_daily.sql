-- rollup_top_products_daily: the 10 SKUs with the most net units (sold − refunded − voided) per store for
-- one business date; ties by sku ascending; SKUs with net units <= 0 are left out.
-- Inputs:  fact_sales_line rows of $business_date.
-- Outputs: the rows of rollup_top_products_daily for $business_date, rank 1..10.
-- No window functions on purpose (ClickHouse 18.16 has none): GROUP BY store into an ordered list, keep
-- its first 10, unnest with the position as rank. ClickHouse: groupArray + arraySort + arraySlice +
-- ARRAY JOIN … arrayEnumerate (exact, unlike topK, which is approximate and carries no ties order).
WITH per_sku AS (
  SELECT
    store_id,
    currency,
    sku,
    min(category)                                                   AS category,
    sum(CASE WHEN type = 'sale' THEN qty ELSE -qty END)             AS units,
    sum(CASE WHEN type = 'sale' THEN net_minor ELSE -net_minor END) AS revenue_minor
  FROM fact_sales_line
  WHERE business_date = CAST($business_date AS DATE)
  GROUP BY store_id, currency, sku
),
top_per_store AS (
  SELECT
    store_id,
    currency,
    list(struct_pack(sku := sku, category := category, units := units, revenue_minor := revenue_minor)
         ORDER BY units DESC, sku ASC)[1:10] AS top
  FROM per_sku
  WHERE units > 0
  GROUP BY store_id, currency
),
ranked AS (
  SELECT store_id, currency, unnest(range(1, len(top) + 1)) AS rank, unnest(top) AS product
  FROM top_per_store
)
SELECT
  CAST($business_date AS DATE) AS business_date,
  store_id,
  rank,
  product.sku           AS sku,
  product.category      AS category,
  currency,
  product.units         AS units,
  product.revenue_minor AS revenue_minor
FROM ranked
