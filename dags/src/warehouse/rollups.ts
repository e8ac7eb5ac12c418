/**
 * The rollups every warehouse adapter must provide, by table name. The sales_rollups job runs one task
 * per name, so DuckDB (embedded) and ClickHouse (production) run the same job definition; each adapter
 * keeps its SQL under dags/sql/<dialect>/rollups/<name>.sql. Independent of each other: any order works.
 */
export const ROLLUP_NAMES = [
  'rollup_sales_hourly_store',
  'rollup_sales_daily_store_category',
  'rollup_sales_daily_region',
  'rollup_top_products_daily',
  'rollup_basket_daily_store',
  'rollup_refund_void_rates_daily_store',
  'rollup_margin_daily_store',
] as const;

export type RollupName = (typeof ROLLUP_NAMES)[number];

export function isRollupName(name: string): name is RollupName {
  return (ROLLUP_NAMES as readonly string[]).includes(name);
}

/** Analyst views (stable names) every adapter creates. */
export const ANALYST_VIEWS = [
  'v_fact_sales_line',
  'v_sales_hourly_store',
  'v_sales_daily_store',
  'v_sales_daily_store_category',
  'v_sales_daily_region',
  'v_top_products_daily',
  'v_basket_daily_store',
  'v_refund_void_rates_daily_store',
  'v_margin_daily_store',
  'v_reconcile_daily_store',
] as const;
