/**
 * OrderStorePort in memory, for unit tests of jobs and reconciliation (the real embedded adapter lives
 * in libs and is central's). Keyed by event_id like the real store; it remembers when each sale was
 * written so datesTouchedSince can drive late-data tests, and lets a test delete a row to simulate loss.
 */
import type { StoredSale } from '@retail-sync/libs/domain';
import type { OrderStorePort, StoredSeq, StoreProgress } from '@retail-sync/libs/ports';

export class InMemoryOrderStore implements OrderStorePort {
  private readonly sales = new Map<string, { sale: StoredSale; writtenAt: string }>();
  private readonly progress = new Map<string, StoreProgress>();

  /** `clock` stamps writes; tests move it to place writes before or after a watermark. */
  constructor(private clock: () => Date = () => new Date()) {}

  setClock(clock: () => Date): void {
    this.clock = clock;
  }

  async migrate(): Promise<void> {}

  async putSales(sales: StoredSale[]): Promise<void> {
    const writtenAt = this.clock().toISOString();
    for (const sale of sales) this.sales.set(sale.event_id, { sale: structuredClone(sale), writtenAt });
  }

  /** Test hook: the row is gone, as if lost. */
  deleteSale(eventId: string): boolean {
    return this.sales.delete(eventId);
  }

  async salesForStoreDay(storeId: string, businessDate: string): Promise<StoredSale[]> {
    return this.select((sale) => sale.store_id === storeId && sale.business_date === businessDate);
  }

  async salesForDate(businessDate: string): Promise<StoredSale[]> {
    return this.select((sale) => sale.business_date === businessDate);
  }

  async seqsForStore(storeId: string, fromSeq: number, toSeq: number): Promise<StoredSeq[]> {
    return this.select((sale) => sale.store_id === storeId && sale.seq >= fromSeq && sale.seq <= toSeq).map((sale) => ({
      seq: sale.seq,
      event_id: sale.event_id,
      business_date: sale.business_date,
    }));
  }

  async datesTouchedSince(since: string): Promise<string[]> {
    const dates = new Set<string>();
    for (const { sale, writtenAt } of this.sales.values()) if (writtenAt > since) dates.add(sale.business_date);
    return [...dates].sort();
  }

  async recordStoreProgress(storeId: string, highWaterSeq: number, seenAt: string): Promise<void> {
    const current = this.progress.get(storeId);
    this.progress.set(storeId, { store_id: storeId, high_water_seq: Math.max(highWaterSeq, current?.high_water_seq ?? 0), last_seen_at: seenAt });
  }

  async storeProgress(): Promise<StoreProgress[]> {
    return [...this.progress.values()];
  }

  async close(): Promise<void> {}

  private select(keep: (sale: StoredSale) => boolean): StoredSale[] {
    return [...this.sales.values()]
      .map(({ sale }) => sale)
      .filter(keep)
      .sort((a, b) => a.store_id.localeCompare(b.store_id) || a.seq - b.seq || a.event_id.localeCompare(b.event_id))
      .map((sale) => structuredClone(sale));
  }
}
