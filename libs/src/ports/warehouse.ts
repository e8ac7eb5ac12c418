/**
 * Warehouse port: where the DAG jobs land facts and rollups for analysts. Production: ClickHouse.
 * Embedded: DuckDB. Every write replaces one business-date partition, so a task run twice gives the
 * same tables; dialect differences stay inside the adapters.
 */

/** One sale line as the warehouse holds it: PII already hashed, amounts unsigned (the `type` column says
 * whether it is a sale, refund or void; views and rollups sign them). */
export interface FactSaleLine {
  event_id: string;
  store_id: string;
  seq: number;
  line_no: number;
  business_date: string;
  business_hour: number;
  occurred_at: string;
  region: string;
  timezone: string;
  currency: string;
  type: 'sale' | 'refund' | 'void';
  terminal_id: string;
  receipt_no: string;
  payment_method: string;
  customer_hash: string | null;
  sku: string;
  category: string;
  qty: number;
  unit_price_minor: number;
  discount_minor: number;
  net_minor: number;
  unit_cost_minor: number;
  /** Receipt-level amounts repeated on line_no 1 only (0 on others), so sums over lines stay right. */
  receipt_tax_minor: number;
  receipt_total_minor: number;
}

export interface WarehousePort {
  /** Creates or upgrades tables and views; applying it twice changes nothing. */
  migrate(): Promise<void>;
  /** Replaces every fact row of `businessDate` with `rows`. Returns rows written. */
  replaceFacts(businessDate: string, rows: FactSaleLine[]): Promise<number>;
  /** Recomputes rollup `name` for `businessDate` from the facts, replacing that partition. Returns rows. */
  runRollup(name: string, businessDate: string): Promise<number>;
  /** Names of the rollups this adapter knows, in dependency-free order. */
  rollupNames(): string[];
  /**
   * Per seq of one store, how many distinct sales (event_ids) the facts hold and their receipt total:
   * reconciliation's view of the warehouse. Seqs with no fact are absent.
   */
  factSeqsForStore(storeId: string, fromSeq: number, toSeq: number): Promise<Array<{ seq: number; sales: number; total_minor: number }>>;
  /** Read-only query in the adapter's own SQL dialect, the CLI and tests; `params` bind by name ({name: value}). */
  query<Row extends Record<string, unknown>>(sql: string, params?: Record<string, unknown>): Promise<Row[]>;
  close(): Promise<void>;
}
