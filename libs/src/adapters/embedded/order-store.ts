/**
 * Embedded order store: OrderStorePort on a DuckDB file (default data/central/orders.duckdb, shared
 * with the dead letters). Invariant: one row per event_id — a replay upserts the same row — and a batch
 * is written in one transaction, so a crash leaves all of it or none of it.
 *
 * Also home of the tiny migration runner every embedded adapter uses: migrations are named, applied
 * in order, each inside one transaction with its record in `schema_migrations`, so applying twice
 * changes nothing.
 */
import { listValue, type DuckDBValue } from '@duckdb/node-api';
import type { EnrichedLine, StoredSale } from '../../domain/event.ts';
import type { OrderStorePort, StoredSeq, StoreProgress } from '../../ports/order-store.ts';
import { EmbeddedDb, type Row } from './db.ts';

export interface Migration {
  /** Stable name, applied in array order: `001_sales`, `002_…`. */
  id: string;
  sql: string;
}

/** Applies the migrations of `component` not yet recorded; each one and its record commit together. */
export async function applyMigrations(db: EmbeddedDb, component: string, migrations: readonly Migration[]): Promise<string[]> {
  await db.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    component VARCHAR NOT NULL, id VARCHAR NOT NULL, applied_at VARCHAR NOT NULL, PRIMARY KEY (component, id))`);
  const appliedRows = await db.all<{ id: string }>('SELECT id FROM schema_migrations WHERE component = $1', [component]);
  const applied = new Set(appliedRows.map((row) => row.id));
  const newlyApplied: string[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.id)) continue;
    await db.transaction(async (tx) => {
      await tx.runUnqueued(migration.sql);
      await tx.runUnqueued('INSERT INTO schema_migrations VALUES ($1, $2, $3)', [component, migration.id, new Date().toISOString()]);
    });
    newlyApplied.push(migration.id);
  }
  return newlyApplied;
}

const MIGRATIONS: readonly Migration[] = [
  {
    id: '001_sales',
    // lines_json keeps a sale's lines with its row: the row is the unit of idempotency, like Cassandra's
    // partition. store_id and seq are never updated (an event_id always has the same ones), which is
    // what lets the (store_id, seq) index coexist with ON CONFLICT DO UPDATE in DuckDB.
    sql: `
      CREATE TABLE sales (
        event_id VARCHAR PRIMARY KEY,
        store_id VARCHAR NOT NULL,
        seq BIGINT NOT NULL,
        terminal_id VARCHAR NOT NULL,
        receipt_no VARCHAR NOT NULL,
        type VARCHAR NOT NULL,
        original_receipt_no VARCHAR,
        occurred_at VARCHAR NOT NULL,
        received_at VARCHAR NOT NULL,
        business_date VARCHAR NOT NULL,
        business_hour INTEGER NOT NULL,
        timezone VARCHAR NOT NULL,
        region VARCHAR NOT NULL,
        currency VARCHAR NOT NULL,
        tax_minor BIGINT NOT NULL,
        total_minor BIGINT NOT NULL,
        payment_method VARCHAR NOT NULL,
        customer_hash VARCHAR,
        trace_id VARCHAR NOT NULL,
        lines_json VARCHAR NOT NULL,
        written_at VARCHAR NOT NULL
      );
      CREATE INDEX sales_store_seq ON sales (store_id, seq);
      CREATE TABLE store_progress (
        store_id VARCHAR PRIMARY KEY,
        high_water_seq BIGINT NOT NULL,
        last_seen_at VARCHAR NOT NULL
      );`,
  },
];

const SALE_COLUMNS = [
  'event_id', 'store_id', 'seq', 'terminal_id', 'receipt_no', 'type', 'original_receipt_no', 'occurred_at',
  'received_at', 'business_date', 'business_hour', 'timezone', 'region', 'currency', 'tax_minor',
  'total_minor', 'payment_method', 'customer_hash', 'trace_id', 'lines_json', 'written_at',
] as const;
const UPDATABLE = SALE_COLUMNS.filter((column) => column !== 'event_id' && column !== 'store_id' && column !== 'seq');
const LIST_TYPES: Record<(typeof SALE_COLUMNS)[number], string> = {
  event_id: 'VARCHAR', store_id: 'VARCHAR', seq: 'BIGINT', terminal_id: 'VARCHAR', receipt_no: 'VARCHAR',
  type: 'VARCHAR', original_receipt_no: 'VARCHAR', occurred_at: 'VARCHAR', received_at: 'VARCHAR',
  business_date: 'VARCHAR', business_hour: 'INTEGER', timezone: 'VARCHAR', region: 'VARCHAR', currency: 'VARCHAR',
  tax_minor: 'BIGINT', total_minor: 'BIGINT', payment_method: 'VARCHAR', customer_hash: 'VARCHAR',
  trace_id: 'VARCHAR', lines_json: 'VARCHAR', written_at: 'VARCHAR',
};

// One statement per batch: each column travels as a list parameter and is unnested back into rows.
const UPSERT_SALES = `
  INSERT INTO sales (${SALE_COLUMNS.join(', ')})
  SELECT ${SALE_COLUMNS.map((column, index) => `unnest($${index + 1}::${LIST_TYPES[column]}[])`).join(', ')}
  ON CONFLICT (event_id) DO UPDATE SET ${UPDATABLE.map((column) => `${column} = excluded.${column}`).join(', ')}`;

const SELECT_SALES = `SELECT ${SALE_COLUMNS.join(', ')} FROM sales`;

export class EmbeddedOrderStore implements OrderStorePort {
  /** Takes over one reference of `db`; `close()` releases it. */
  constructor(private readonly db: EmbeddedDb) {}

  /** Opens (or shares) the DuckDB file at `path`, e.g. data/central/orders.duckdb. Call `migrate()` next. */
  static async open(path: string): Promise<EmbeddedOrderStore> {
    return new EmbeddedOrderStore(await EmbeddedDb.acquire(path));
  }

  async migrate(): Promise<void> {
    await applyMigrations(this.db, 'order-store', MIGRATIONS);
  }

  async putSales(sales: StoredSale[]): Promise<void> {
    if (sales.length === 0) return;
    // DuckDB refuses to update one row twice in one statement: the last copy of an event wins.
    const byEventId = new Map<string, StoredSale>();
    for (const sale of sales) byEventId.set(sale.event_id, sale);
    const writtenAt = new Date().toISOString();
    const columns = SALE_COLUMNS.map(() => [] as DuckDBValue[]);
    for (const sale of byEventId.values()) {
      const row = toRow(sale, writtenAt);
      SALE_COLUMNS.forEach((column, index) => columns[index]!.push(row[column]));
    }
    await this.db.transaction((tx) => tx.runUnqueued(UPSERT_SALES, columns.map((values) => listValue(values))));
  }

  async salesForStoreDay(storeId: string, businessDate: string): Promise<StoredSale[]> {
    const rows = await this.db.all(`${SELECT_SALES} WHERE store_id = $1 AND business_date = $2 ORDER BY seq, event_id`, [storeId, businessDate]);
    return rows.map(fromRow);
  }

  async salesForDate(businessDate: string): Promise<StoredSale[]> {
    const rows = await this.db.all(`${SELECT_SALES} WHERE business_date = $1 ORDER BY store_id, seq, event_id`, [businessDate]);
    return rows.map(fromRow);
  }

  async seqsForStore(storeId: string, fromSeq: number, toSeq: number): Promise<StoredSeq[]> {
    return this.db.all<StoredSeq & Row>(
      'SELECT seq, event_id, business_date FROM sales WHERE store_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq, event_id',
      [storeId, fromSeq, toSeq],
    );
  }

  async datesTouchedSince(since: string): Promise<string[]> {
    // written_at is an ISO UTC string of fixed width, so text order is time order.
    const rows = await this.db.all<{ business_date: string }>(
      'SELECT DISTINCT business_date FROM sales WHERE written_at >= $1 ORDER BY business_date',
      [new Date(since).toISOString()],
    );
    return rows.map((row) => row.business_date);
  }

  async recordStoreProgress(storeId: string, highWaterSeq: number, seenAt: string): Promise<void> {
    await this.db.run(
      `INSERT INTO store_progress VALUES ($1, $2, $3)
       ON CONFLICT (store_id) DO UPDATE SET
         high_water_seq = greatest(store_progress.high_water_seq, excluded.high_water_seq),
         last_seen_at = greatest(store_progress.last_seen_at, excluded.last_seen_at)`,
      [storeId, highWaterSeq, seenAt],
    );
  }

  async storeProgress(): Promise<StoreProgress[]> {
    return this.db.all<StoreProgress & Row>('SELECT store_id, high_water_seq, last_seen_at FROM store_progress ORDER BY store_id');
  }

  async close(): Promise<void> {
    await this.db.release();
  }
}

function toRow(sale: StoredSale, writtenAt: string): Record<(typeof SALE_COLUMNS)[number], DuckDBValue> {
  return {
    event_id: sale.event_id,
    store_id: sale.store_id,
    seq: sale.seq,
    terminal_id: sale.terminal_id,
    receipt_no: sale.receipt_no,
    type: sale.type,
    original_receipt_no: sale.original_receipt_no,
    occurred_at: sale.occurred_at,
    received_at: sale.received_at,
    business_date: sale.business_date,
    business_hour: sale.business_hour,
    timezone: sale.timezone,
    region: sale.region,
    currency: sale.currency,
    tax_minor: sale.tax_minor,
    total_minor: sale.total_minor,
    payment_method: sale.payment_method,
    customer_hash: sale.customer_hash,
    trace_id: sale.trace_id,
    lines_json: JSON.stringify(sale.lines),
    written_at: writtenAt,
  };
}

function fromRow(row: Row): StoredSale {
  return {
    event_id: row.event_id as string,
    store_id: row.store_id as string,
    seq: row.seq as number,
    terminal_id: row.terminal_id as string,
    receipt_no: row.receipt_no as string,
    type: row.type as StoredSale['type'],
    original_receipt_no: (row.original_receipt_no as string | null) ?? null,
    occurred_at: row.occurred_at as string,
    received_at: row.received_at as string,
    business_date: row.business_date as string,
    business_hour: row.business_hour as number,
    timezone: row.timezone as string,
    region: row.region as string,
    currency: row.currency as string,
    tax_minor: row.tax_minor as number,
    total_minor: row.total_minor as number,
    payment_method: row.payment_method as string,
    customer_hash: (row.customer_hash as string | null) ?? null,
    trace_id: row.trace_id as string,
    lines: JSON.parse(row.lines_json as string) as EnrichedLine[],
  };
}
