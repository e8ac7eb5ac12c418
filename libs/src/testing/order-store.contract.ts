/**
 * The OrderStorePort contract: every guarantee its TSDoc makes, as one suite any adapter runs through
 * a factory. Each test gets a fresh, migrated adapter.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_MINOR } from '../domain/money.ts';
import type { OrderStorePort } from '../ports/order-store.ts';
import { storedSaleFixture, type AdapterUnderTest } from './fixtures.ts';

export type OrderStoreFactory = () => Promise<AdapterUnderTest<OrderStorePort>>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function describeOrderStoreContract(name: string, factory: OrderStoreFactory): void {
  describe(`OrderStorePort contract: ${name}`, () => {
    let store: OrderStorePort;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ adapter: store, cleanup } = await factory());
      await store.migrate();
    });

    afterEach(async () => {
      await cleanup();
    });

    it('stores a sale and reads back exactly what was written', async () => {
      const sale = storedSaleFixture({ customer_hash: 'ab'.repeat(32) });
      await store.putSales([sale]);
      expect(await store.salesForStoreDay(sale.store_id, sale.business_date)).toEqual([sale]);
    });

    it('writes the same event twice as one identical row', async () => {
      const sale = storedSaleFixture();
      await store.putSales([sale]);
      await store.putSales([sale]);
      await store.putSales([sale, { ...sale }]);
      expect(await store.salesForStoreDay(sale.store_id, sale.business_date)).toEqual([sale]);
      expect(await store.salesForDate(sale.business_date)).toEqual([sale]);
    });

    it('keeps null fields, refunds and the largest money amounts intact', async () => {
      const refund = storedSaleFixture({
        seq: 2,
        type: 'refund',
        original_receipt_no: 'r-1',
        customer_hash: null,
        tax_minor: 0,
        total_minor: MAX_MINOR,
        lines: [{ line_no: 1, sku: 'tv-55', qty: 1, unit_price_minor: MAX_MINOR, discount_minor: 0, net_minor: MAX_MINOR, category: 'electronics', unit_cost_minor: MAX_MINOR }],
      });
      await store.putSales([refund]);
      expect(await store.salesForStoreDay(refund.store_id, refund.business_date)).toEqual([refund]);
    });

    it('lists one store-day ordered by seq, without other stores or days', async () => {
      const third = storedSaleFixture({ seq: 3 });
      const first = storedSaleFixture({ seq: 1 });
      const second = storedSaleFixture({ seq: 2 });
      const otherStore = storedSaleFixture({ store_id: 'bos-001', seq: 1 });
      const otherDay = storedSaleFixture({ seq: 4, business_date: '2026-03-09' });
      await store.putSales([third, otherStore, first]);
      await store.putSales([otherDay, second]);
      const day = await store.salesForStoreDay('nyc-001', '2026-03-08');
      expect(day.map((sale) => sale.seq)).toEqual([1, 2, 3]);
      expect(day.map((sale) => sale.event_id)).toEqual([first.event_id, second.event_id, third.event_id]);
      const allStores = await store.salesForDate('2026-03-08');
      expect(allStores.map((sale) => sale.event_id).sort()).toEqual([first, second, third, otherStore].map((sale) => sale.event_id).sort());
    });

    it('returns the stored seqs of a store within an inclusive range, ordered', async () => {
      const sales = [5, 1, 3, 2, 7].map((seq) => storedSaleFixture({ seq, business_date: seq > 4 ? '2026-03-09' : '2026-03-08' }));
      await store.putSales([...sales, storedSaleFixture({ store_id: 'bos-001', seq: 3 })]);
      const seqs = await store.seqsForStore('nyc-001', 2, 5);
      expect(seqs).toEqual(
        [2, 3, 5].map((seq) => {
          const sale = sales.find((candidate) => candidate.seq === seq)!;
          return { seq, event_id: sale.event_id, business_date: sale.business_date };
        }),
      );
      expect(await store.seqsForStore('nyc-001', 8, 100)).toEqual([]);
    });

    it('shows a seq held by two events as two entries (reconciliation finds doubles)', async () => {
      const first = storedSaleFixture({ seq: 4 });
      const second = storedSaleFixture({ seq: 4 });
      await store.putSales([first, second]);
      const seqs = await store.seqsForStore('nyc-001', 4, 4);
      expect(seqs.map((entry) => entry.event_id).sort()).toEqual([first.event_id, second.event_id].sort());
    });

    it('reports the business dates written since an instant', async () => {
      await store.putSales([storedSaleFixture({ business_date: '2026-03-07' })]);
      await sleep(20);
      const since = new Date().toISOString();
      await sleep(20);
      await store.putSales([storedSaleFixture({ business_date: '2026-03-09' }), storedSaleFixture({ business_date: '2026-03-08' })]);
      expect(await store.datesTouchedSince(since)).toEqual(['2026-03-08', '2026-03-09']);
      expect(await store.datesTouchedSince('2020-01-01T00:00:00.000Z')).toEqual(['2026-03-07', '2026-03-08', '2026-03-09']);
    });

    it('keeps the maximum high-water seq a store reported', async () => {
      await store.recordStoreProgress('nyc-001', 10, '2026-03-08T10:00:00.000Z');
      await store.recordStoreProgress('nyc-001', 7, '2026-03-08T10:00:05.000Z');
      await store.recordStoreProgress('bos-001', 3, '2026-03-08T10:00:01.000Z');
      const progress = await store.storeProgress();
      expect(progress.map(({ store_id, high_water_seq }) => ({ store_id, high_water_seq }))).toEqual([
        { store_id: 'bos-001', high_water_seq: 3 },
        { store_id: 'nyc-001', high_water_seq: 10 },
      ]);
      await store.recordStoreProgress('nyc-001', 12, '2026-03-08T10:00:09.000Z');
      expect((await store.storeProgress()).find((entry) => entry.store_id === 'nyc-001')).toEqual({
        store_id: 'nyc-001',
        high_water_seq: 12,
        last_seen_at: '2026-03-08T10:00:09.000Z',
      });
    });

    it('migrates twice without touching stored data', async () => {
      const sale = storedSaleFixture();
      await store.putSales([sale]);
      await store.recordStoreProgress('nyc-001', 1, '2026-03-08T10:00:00.000Z');
      await store.migrate();
      await store.migrate();
      expect(await store.salesForStoreDay(sale.store_id, sale.business_date)).toEqual([sale]);
      expect(await store.storeProgress()).toHaveLength(1);
    });

    it('accepts an empty batch', async () => {
      await store.putSales([]);
      expect(await store.salesForDate('2026-03-08')).toEqual([]);
    });
  });
}
