/**
 * Order store port: the system of record for validated, enriched sales. Production: Cassandra.
 * Embedded: a local SQL file. Rows are immutable and keyed by event_id, so a replayed event writes the
 * same row again and the stored result is as if each sale happened once.
 */
import type { StoredSale } from '../domain/event.ts';

/** One stored seq of a store, for gap and duplicate checks. */
export interface StoredSeq {
  seq: number;
  event_id: string;
  business_date: string;
}

/** What the store last told central about its own log. */
export interface StoreProgress {
  store_id: string;
  /** Highest seq the store has assigned (its log's high-water mark), as last reported. */
  high_water_seq: number;
  last_seen_at: string;
}

export interface OrderStorePort {
  /** Creates or upgrades the schema; applying it twice changes nothing. */
  migrate(): Promise<void>;
  /**
   * Writes sales idempotently: a sale whose event_id is already stored is written again with the
   * same values (no second row). Resolves once durable at the adapter's configured consistency.
   */
  putSales(sales: StoredSale[]): Promise<void>;
  /** Every sale of one store on one business date, ordered by seq. */
  salesForStoreDay(storeId: string, businessDate: string): Promise<StoredSale[]>;
  /** Every sale of one business date, all stores (the DAG's fact load). */
  salesForDate(businessDate: string): Promise<StoredSale[]>;
  /** The stored seqs of a store in [fromSeq, toSeq], ordered by seq (reconciliation). */
  seqsForStore(storeId: string, fromSeq: number, toSeq: number): Promise<StoredSeq[]>;
  /** Business dates that received writes since `since` (ISO), for late-data re-rolls. */
  datesTouchedSince(since: string): Promise<string[]>;
  /** Records the high-water seq a store reported; keeps the maximum. */
  recordStoreProgress(storeId: string, highWaterSeq: number, seenAt: string): Promise<void>;
  storeProgress(): Promise<StoreProgress[]>;
  close(): Promise<void>;
}
