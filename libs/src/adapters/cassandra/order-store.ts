/**
 * Cassandra order store: OrderStorePort on the tables of central/cql/001_order_store.cql.
 * Invariant: every row is keyed by values a replayed event carries unchanged, so writing an event again
 * rewrites the same cells (one row, same values) — the stored result is as if each sale happened once.
 *
 * Why no LOGGED batch: a sale lands in several partitions (its store-day, its seq block, the date's store
 * list, the month's touched dates). A logged batch would make that atomic at the price of a batchlog
 * write to two more replicas and a coordinator holding every partition of a 500-sale batch. Instead each
 * row is its own idempotent, prepared INSERT, and putSales writes in an order that keeps every reader
 * safe from a partial write, in one wave of RS_CASSANDRA_WRITE_CONCURRENCY lanes: the lookup rows (each
 * written once per adapter: they are insert-only, so after one successful write a rewrite adds nothing) that
 * make data findable (store of the date, seq bucket: harmless without data; a reader that comes before
 * them misses the sale as it would a later one, and the touched-date stamp sends the DAG back), and per sale its sale row and
 * only then its seq row (reconciliation must not count a seq whose sale is missing). Last, after the
 * wave, the touched-date stamp, taken once the data is durable so a DAG run that missed the data
 * re-rolls the date. If any write fails, putSales rejects; the worker retries the whole job and the
 * rewrite repairs whatever part was missing.
 */
import cassandra, { type types as driverTypes } from 'cassandra-driver';
import type { EnrichedLine, StoredSale } from '../../domain/event.ts';
import type { OrderStorePort, StoredSeq, StoreProgress } from '../../ports/order-store.ts';
import type { CassandraAdapterOptions, CassandraConfig } from './config.ts';
import { migrateKeyspace } from './migrate.ts';
import { CassandraSession, type Row } from './session.ts';

/** Seqs per seq_by_store partition. Part of the schema: changing it means new tables. */
export const SEQ_BUCKET_SIZE = 100_000;
/** datesTouchedSince never looks further back than this (bounds the month partitions it reads). */
const EARLIEST_WRITE = Date.UTC(2000, 0, 1);
/** Client clocks of several workers differ: read one day past our own now. */
const CLOCK_SKEW_MS = 86_400_000;
const READ_CONCURRENCY = 16;
/** Business dates parsed once: the driver parses a 'YYYY-MM-DD' string again for every statement. */
const localDates = new Map<string, driverTypes.LocalDate>();
const MAX_CACHED_DATES = 4_096;
/** Bound of the written-lookup-rows memory; past it the memory restarts empty (the rows are rewritten once). */
const MAX_REMEMBERED_LOOKUPS = 100_000;

const SALE_COLUMNS = [
  'store_id', 'business_date', 'seq', 'event_id', 'terminal_id', 'receipt_no', 'type', 'original_receipt_no',
  'occurred_at', 'received_at', 'business_hour', 'timezone', 'region', 'currency', 'tax_minor', 'total_minor',
  'payment_method', 'customer_hash', 'trace_id', 'lines',
] as const;

export class CassandraOrderStore implements OrderStorePort {
  private readonly cql;
  /** stores_by_date and seq_buckets_by_store keys this adapter wrote (store-dates and seq blocks: few per store). */
  private readonly lookupsWritten = new Set<string>();

  /** Takes over one reference of `session`; `close()` releases it. */
  constructor(
    private readonly session: CassandraSession,
    private readonly config: CassandraConfig,
    private readonly options: CassandraAdapterOptions = {},
  ) {
    const ks = config.RS_CASSANDRA_KEYSPACE;
    this.cql = {
      insertSale: `INSERT INTO ${ks}.sales_by_store_day (${SALE_COLUMNS.join(', ')}) VALUES (${SALE_COLUMNS.map(() => '?').join(', ')})`,
      selectStoreDay: `SELECT ${SALE_COLUMNS.join(', ')} FROM ${ks}.sales_by_store_day WHERE store_id = ? AND business_date = ?`,
      insertStoreOfDate: `INSERT INTO ${ks}.stores_by_date (business_date, store_id) VALUES (?, ?)`,
      selectStoresOfDate: `SELECT store_id FROM ${ks}.stores_by_date WHERE business_date = ?`,
      insertSeq: `INSERT INTO ${ks}.seq_by_store (store_id, seq_bucket, seq, event_id, business_date) VALUES (?, ?, ?, ?, ?)`,
      insertSeqBucket: `INSERT INTO ${ks}.seq_buckets_by_store (store_id, seq_bucket) VALUES (?, ?)`,
      selectSeqBuckets: `SELECT seq_bucket FROM ${ks}.seq_buckets_by_store WHERE store_id = ? AND seq_bucket >= ? AND seq_bucket <= ?`,
      selectSeqs: `SELECT seq, event_id, business_date FROM ${ks}.seq_by_store WHERE store_id = ? AND seq_bucket = ? AND seq >= ? AND seq <= ?`,
      // The write timestamp is the value itself (µs), so last-write-wins keeps the latest stamp.
      touchDate: `UPDATE ${ks}.dates_touched USING TIMESTAMP ? SET last_written_at = ? WHERE write_month = ? AND business_date = ?`,
      selectTouched: `SELECT business_date, last_written_at FROM ${ks}.dates_touched WHERE write_month = ?`,
      // Same trick: the cell written with the highest seq (or instant) as its timestamp wins, so each keeps its maximum.
      progressSeq: `UPDATE ${ks}.store_progress USING TIMESTAMP ? SET high_water_seq = ? WHERE store_id = ?`,
      progressSeen: `UPDATE ${ks}.store_progress USING TIMESTAMP ? SET last_seen_at = ? WHERE store_id = ?`,
      selectProgress: `SELECT store_id, high_water_seq, last_seen_at FROM ${ks}.store_progress`,
    };
  }

  async migrate(): Promise<void> {
    await migrateKeyspace(this.session, this.config, this.options.migrationsDir);
  }

  async putSales(sales: StoredSale[]): Promise<void> {
    if (sales.length === 0) return;
    const byEventId = new Map<string, StoredSale>();
    for (const sale of sales) byEventId.set(sale.event_id, sale);
    const unique = [...byEventId.values()];
    const concurrency = this.config.RS_CASSANDRA_WRITE_CONCURRENCY;
    const write = (cql: string, params: unknown[]) => this.session.execute(cql, params, 'putSales', true);

    // Lookup rows this adapter already wrote are skipped: they are insert-only and never deleted.
    const storeDates = distinct(unique.map((sale) => [sale.business_date, sale.store_id])).filter((key) => !this.lookupsWritten.has(`date\0${key.join('\0')}`));
    const seqBuckets = distinct(unique.map((sale) => [sale.store_id, seqBucketOf(sale.seq)])).filter((key) => !this.lookupsWritten.has(`bucket\0${key.join('\0')}`));
    // One wave: the statements of a batch share the lanes instead of waiting for each other's slowest.
    await CassandraSession.forEachConcurrently<() => Promise<unknown>>([
      ...storeDates.map((params) => () => write(this.cql.insertStoreOfDate, params)),
      ...seqBuckets.map((params) => () => write(this.cql.insertSeqBucket, params)),
      ...unique.map((sale) => async () => {
        await write(this.cql.insertSale, saleParams(sale));
        await write(this.cql.insertSeq, [sale.store_id, seqBucketOf(sale.seq), sale.seq, sale.event_id, localDateOf(sale.business_date)]);
      }),
    ], concurrency, (step) => step());
    // Remembered only once the whole wave succeeded: a failed wave leaves them to the retry.
    if (this.lookupsWritten.size + storeDates.length + seqBuckets.length > MAX_REMEMBERED_LOOKUPS) this.lookupsWritten.clear();
    for (const key of storeDates) this.lookupsWritten.add(`date\0${key.join('\0')}`);
    for (const key of seqBuckets) this.lookupsWritten.add(`bucket\0${key.join('\0')}`);
    const writtenAt = Date.now();
    const month = monthOf(writtenAt);
    const dates = distinct(unique.map((sale) => [sale.business_date]));
    await CassandraSession.forEachConcurrently(dates, concurrency, ([date]) =>
      write(this.cql.touchDate, [writtenAt * 1000, new Date(writtenAt), month, date]),
    );
  }

  async salesForStoreDay(storeId: string, businessDate: string): Promise<StoredSale[]> {
    const rows = await this.session.readAll(this.cql.selectStoreDay, [storeId, businessDate], 'salesForStoreDay');
    return rows.map(saleFromRow);
  }

  async salesForDate(businessDate: string): Promise<StoredSale[]> {
    const storeRows = await this.session.readAll(this.cql.selectStoresOfDate, [businessDate], 'salesForDate');
    const storeIds = storeRows.map((row) => row.get('store_id') as string);
    const perStore = new Map<string, StoredSale[]>();
    await CassandraSession.forEachConcurrently(storeIds, READ_CONCURRENCY, async (storeId) => {
      perStore.set(storeId, await this.salesForStoreDay(storeId, businessDate));
    });
    return storeIds.flatMap((storeId) => perStore.get(storeId)!);
  }

  async seqsForStore(storeId: string, fromSeq: number, toSeq: number): Promise<StoredSeq[]> {
    if (toSeq < fromSeq) return [];
    const bucketRows = await this.session.readAll(this.cql.selectSeqBuckets, [storeId, seqBucketOf(fromSeq), seqBucketOf(toSeq)], 'seqsForStore');
    const buckets = bucketRows.map((row) => toNumber(row.get('seq_bucket')));
    const perBucket = new Map<number, StoredSeq[]>();
    await CassandraSession.forEachConcurrently(buckets, READ_CONCURRENCY, async (bucket) => {
      const rows = await this.session.readAll(this.cql.selectSeqs, [storeId, bucket, fromSeq, toSeq], 'seqsForStore');
      perBucket.set(bucket, rows.map((row) => ({ seq: toNumber(row.get('seq')), event_id: row.get('event_id') as string, business_date: String(row.get('business_date')) })));
    });
    return buckets.flatMap((bucket) => perBucket.get(bucket)!);
  }

  async datesTouchedSince(since: string): Promise<string[]> {
    const sinceMs = Date.parse(since);
    if (Number.isNaN(sinceMs)) throw new RangeError(`datesTouchedSince: not an instant: ${since}`);
    const months = monthsBetween(Math.max(sinceMs, EARLIEST_WRITE), Date.now() + CLOCK_SKEW_MS);
    const dates = new Set<string>();
    await CassandraSession.forEachConcurrently(months, READ_CONCURRENCY, async (month) => {
      for (const row of await this.session.readAll(this.cql.selectTouched, [month], 'datesTouchedSince')) {
        if ((row.get('last_written_at') as Date).getTime() >= sinceMs) dates.add(String(row.get('business_date')));
      }
    });
    return [...dates].sort();
  }

  async recordStoreProgress(storeId: string, highWaterSeq: number, seenAt: string): Promise<void> {
    const seenAtDate = new Date(seenAt);
    await Promise.all([
      this.session.execute(this.cql.progressSeq, [highWaterSeq, highWaterSeq, storeId], 'recordStoreProgress', true),
      this.session.execute(this.cql.progressSeen, [seenAtDate.getTime() * 1000, seenAtDate, storeId], 'recordStoreProgress', true),
    ]);
  }

  /** One row per store: a scan of a table bounded by the number of stores. */
  async storeProgress(): Promise<StoreProgress[]> {
    const rows = await this.session.readAll(this.cql.selectProgress, [], 'storeProgress');
    return rows
      .filter((row) => row.get('high_water_seq') !== null)
      .map((row) => ({
        store_id: row.get('store_id') as string,
        high_water_seq: toNumber(row.get('high_water_seq')),
        last_seen_at: (row.get('last_seen_at') as Date).toISOString(),
      }))
      .sort((a, b) => (a.store_id < b.store_id ? -1 : a.store_id > b.store_id ? 1 : 0));
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

export function seqBucketOf(seq: number): number {
  return Math.floor(seq / SEQ_BUCKET_SIZE);
}

/** 'YYYY-MM' (UTC) of an instant. */
function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

function monthsBetween(fromMs: number, toMs: number): string[] {
  const months: string[] = [];
  const cursor = new Date(fromMs);
  let year = cursor.getUTCFullYear();
  let month = cursor.getUTCMonth();
  const last = monthOf(toMs);
  for (;;) {
    const label = `${String(year).padStart(4, '0')}-${String(month + 1).padStart(2, '0')}`;
    if (label > last) return months;
    months.push(label);
    month += 1;
    if (month === 12) [year, month] = [year + 1, 0];
  }
}

function distinct<T extends (string | number)[]>(tuples: T[]): T[] {
  const seen = new Map<string, T>();
  // Parts are store ids, ISO dates and numbers: none contains a NUL.
  for (const tuple of tuples) seen.set(tuple.join('\0'), tuple);
  return [...seen.values()];
}

function localDateOf(businessDate: string): driverTypes.LocalDate {
  let date = localDates.get(businessDate);
  if (!date) {
    if (localDates.size >= MAX_CACHED_DATES) localDates.clear();
    localDates.set(businessDate, (date = cassandra.types.LocalDate.fromString(businessDate)));
  }
  return date;
}

/** bigint columns decode as driver Longs; every value we store fits a double exactly (MAX_MINOR < 2^53). */
function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(String(value));
}

/** Nullable fields are bound as undefined (unset): an immutable row needs no null cells (tombstones). */
function saleParams(sale: StoredSale): unknown[] {
  return [
    sale.store_id, localDateOf(sale.business_date), sale.seq, sale.event_id, sale.terminal_id, sale.receipt_no, sale.type,
    sale.original_receipt_no ?? undefined, sale.occurred_at, sale.received_at, sale.business_hour, sale.timezone,
    sale.region, sale.currency, sale.tax_minor, sale.total_minor, sale.payment_method,
    sale.customer_hash ?? undefined, sale.trace_id, sale.lines.map((line) => ({ ...line })),
  ];
}

function saleFromRow(row: Row): StoredSale {
  return {
    event_id: row.get('event_id') as string,
    store_id: row.get('store_id') as string,
    seq: toNumber(row.get('seq')),
    terminal_id: row.get('terminal_id') as string,
    receipt_no: row.get('receipt_no') as string,
    type: row.get('type') as StoredSale['type'],
    original_receipt_no: (row.get('original_receipt_no') as string | null) ?? null,
    occurred_at: row.get('occurred_at') as string,
    received_at: row.get('received_at') as string,
    business_date: String(row.get('business_date')),
    business_hour: row.get('business_hour') as number,
    timezone: row.get('timezone') as string,
    region: row.get('region') as string,
    currency: row.get('currency') as string,
    tax_minor: toNumber(row.get('tax_minor')),
    total_minor: toNumber(row.get('total_minor')),
    payment_method: row.get('payment_method') as string,
    customer_hash: (row.get('customer_hash') as string | null) ?? null,
    trace_id: row.get('trace_id') as string,
    lines: ((row.get('lines') as Array<Record<string, unknown>> | null) ?? []).map(lineFromUdt),
  };
}

function lineFromUdt(line: Record<string, unknown>): EnrichedLine {
  return {
    line_no: line.line_no as number,
    sku: line.sku as string,
    qty: line.qty as number,
    unit_price_minor: toNumber(line.unit_price_minor),
    discount_minor: toNumber(line.discount_minor),
    net_minor: toNumber(line.net_minor),
    category: line.category as string,
    unit_cost_minor: toNumber(line.unit_cost_minor),
  };
}
