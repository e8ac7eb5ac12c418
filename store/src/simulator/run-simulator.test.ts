import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { businessTimeOf, parseSale } from '@retail-sync/libs/domain';
import { storeConfig } from '../config.ts';
import { startStore, type RunningStore } from '../store.ts';
import { captureLogger, makeTempDir } from '../testing/capture-logger.ts';
import { seededRandom } from './prng.ts';
import { runSimulator } from './run-simulator.ts';
import { MALFORMED_KINDS, SaleGenerator, type SimulatedStore, type SimulatorCatalog } from './sale-generator.ts';

const CATALOG_PATH = fileURLToPath(new URL('../../../data/seed/catalog.json', import.meta.url));
let catalog: SimulatorCatalog & { stores: Omit<SimulatedStore, 'url'>[] };
let dir: string;
let cleanup: () => Promise<void>;
const stores: RunningStore[] = [];

beforeEach(async () => {
  catalog = JSON.parse(await readFile(CATALOG_PATH, 'utf8'));
  ({ dir, cleanup } = await makeTempDir('simulator'));
});

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  await cleanup();
});

function catalogStore(storeId: string, url = 'http://127.0.0.1:1'): SimulatedStore {
  const store = catalog.stores.find((candidate) => candidate.store_id === storeId)!;
  return { ...store, url };
}

describe('SaleGenerator', () => {
  it('generates the same sales for the same seed and clock', () => {
    const now = () => new Date('2026-03-08T07:30:00Z');
    const make = () => new SaleGenerator(catalogStore('kol-001'), catalog, seededRandom(7), 3, now);
    const first = make();
    const second = make();
    const a = Array.from({ length: 50 }, () => first.next(0.1));
    const b = Array.from({ length: 50 }, () => second.next(0.1));
    expect(a).toEqual(b);
  });

  it('generates valid sales priced by the store, with refunds and voids of earlier receipts of the same terminal', () => {
    const store = catalogStore('kol-001');
    const generator = new SaleGenerator(store, catalog, seededRandom(3));
    const sales = Array.from({ length: 400 }, () => generator.next(0).body);
    const receipts = new Set<string>();
    for (const sale of sales) {
      const parsed = parseSale({ ...sale, store_id: store.store_id });
      expect(parsed.ok ? [] : parsed.issues).toEqual([]);
      expect(sale.currency).toBe('INR');
      expect(sale.lines.length).toBeGreaterThanOrEqual(1);
      expect(sale.lines.length).toBeLessThanOrEqual(8);
      if (sale.type !== 'sale') expect(receipts.has(`${sale.terminal_id}/${sale.original_receipt_no}`)).toBe(true);
      receipts.add(`${sale.terminal_id}/${sale.receipt_no}`);
      // The offset is the store's own: the local wall clock is the business hour.
      expect(Number(sale.occurred_at.slice(11, 13))).toBe(businessTimeOf(sale.occurred_at, store.timezone).businessHour);
    }
    expect(sales.filter((sale) => sale.type === 'refund').length).toBeGreaterThan(0);
    expect(sales.filter((sale) => sale.type === 'void').length).toBeGreaterThan(0);
    const milk = catalog.products.find((product) => product.sku === 'milk-1l')!;
    const milkLine = sales.flatMap((sale) => sale.lines).find((line) => line.sku === 'milk-1l');
    expect(milkLine?.unit_price_minor).toBe(milk.list_price_minor * 80);
  });

  it('makes each malformed sale a different kind: intake rejects all but the unknown SKU, naming the field', () => {
    const generator = new SaleGenerator(catalogStore('nyc-001'), catalog, seededRandom(1));
    const bad = Array.from({ length: MALFORMED_KINDS.length }, () => generator.next(1));
    expect(bad.map((sale) => sale.malformed)).toEqual([...MALFORMED_KINDS]);
    const fields = bad.map((sale) => {
      const parsed = parseSale({ ...sale.body, store_id: 'nyc-001' });
      return parsed.ok ? '(valid)' : parsed.issues[0]!.field;
    });
    expect(fields).toEqual(['lines.0.unit_price_minor', 'total_minor', 'payment_method', 'currency', 'occurred_at', '(valid)']);
    expect(bad.at(-1)!.body.lines[0]!.sku).toBe('not-in-catalog');
  });

  it('tags receipt numbers with the run tag so reruns never reuse a receipt', () => {
    const tagged = new SaleGenerator(catalogStore('nyc-001'), catalog, seededRandom(1), 1, undefined, 'run7');
    expect(tagged.next(0).body.receipt_no).toMatch(/^pos-1-run7-\d{7}$/);
  });
});

describe('runSimulator', () => {
  it('reports exactly the receipts the stores stored, with retries answered as duplicates', async () => {
    const storeIds = ['nyc-001', 'kol-001'];
    for (const storeId of storeIds) {
      const config = storeConfig({ RS_STORE_ID: storeId, RS_STORE_PORT: 0, RS_STORE_DATA_DIR: `${dir}/${storeId}` });
      stores.push(await startStore(config, { logger: captureLogger('silent').logger, ship: false }));
    }
    const result = await runSimulator({
      stores: storeIds.map((storeId, i) => catalogStore(storeId, stores[i]!.url)),
      events: 150,
      badRate: 0.1,
      retryRate: 0.1,
      catalog,
      seed: 42,
    });
    expect(result.stores.map((store) => store.store_id)).toEqual(storeIds);
    result.stores.forEach((simulated, i) => {
      const { counts, accepted } = simulated;
      expect(counts.sent).toBe(150 + counts.retries);
      expect(counts.accepted + counts.duplicates + counts.rejected).toBe(counts.sent);
      expect(counts.rejected).toBeGreaterThan(0);
      expect(counts.retries).toBeGreaterThan(0);
      expect(counts.duplicates).toBe(counts.retries);
      expect(counts.unconfirmed).toBe(0);
      // Every stored receipt is reported once, and seqs are 1..n with no gap.
      expect(accepted.map((sale) => sale.seq)).toEqual(Array.from({ length: counts.accepted }, (_, n) => n + 1));
      expect(stores[i]!.status().last_seq).toBe(accepted.length);
    });
  });
});
