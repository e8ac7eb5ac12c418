-- rollup_top_products_daily: the 10 SKUs with the most net units (sold − refunded − voided) per store for
-- one business date; ties by sku ascending; SKUs with net units <= 0 are left out.
-- Inputs:  the business_date parameter; fact_sales_line rows of that day.
-- Outputs: the rows of rollup_top_products_daily for the day, rank 1..10.
-- No window functions (18.16 has none): per store, groupArray of (sku, category, units, revenue) sorted by
-- (−units, sku), arraySlice to 10, then ARRAY JOIN with arrayEnumerate as the rank. Exact, unlike topK,
-- which is approximate and has no tie order. Strings compare bytewise, as in DuckDB.
SELECT
  {business_date:Date} AS business_date,
  store_id,
  rank,
  product.1            AS sku,
  product.2            AS category,
  currency,
  product.3            AS units,
  product.4            AS revenue_minor
FROM (
  SELECT
    store_id,
    currency,
    arraySlice(arraySort(p -> (-p.3, p.1), groupArray((product_sku, product_category, net_units, net_revenue_minor))), 1, 10) AS top
  FROM (
    SELECT
      store_id,
      currency,
      sku                                                     AS product_sku,
      min(category)                                           AS product_category,
      sum(if(type = 'sale', qty, -qty))                       AS net_units,
      sum(if(type = 'sale', line_net_minor, -line_net_minor)) AS net_revenue_minor
    FROM (
      SELECT store_id, currency, sku, category, type, qty, net_minor AS line_net_minor
      FROM fact_sales_line
      WHERE business_date = {business_date:Date}
    )
    GROUP BY store_id, currency, sku
  )
  WHERE net_units > 0
  GROUP BY store_id, currency
)
ARRAY JOIN top AS product, arrayEnumerate(top) AS rank
