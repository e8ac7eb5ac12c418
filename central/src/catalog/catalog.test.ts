import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InMemoryCatalog, unitCostFor } from './catalog.ts';

const SEED = fileURLToPath(new URL('../../../data/seed/catalog.json', import.meta.url));

describe('catalog', () => {
  it('loads the seed catalog with its stores and products', async () => {
    const catalog = await InMemoryCatalog.fromFile(SEED);
    expect(catalog.store('nyc-001')).toMatchObject({ timezone: 'America/New_York', region: 'us-east', currency: 'USD' });
    expect(catalog.product('milk-1l')).toMatchObject({ category: 'grocery', unit_cost_minor: 95 });
    expect(catalog.store('nope')).toBeUndefined();
    expect(catalog.stores().length).toBeGreaterThan(10);
  });

  it("prices cost in the store's minor units", async () => {
    const catalog = await InMemoryCatalog.fromFile(SEED);
    expect(unitCostFor(catalog.product('milk-1l')!, catalog.store('kol-001')!)).toBe(95 * 80);
  });

  it('reloads a changed file and keeps the old version when the new one is invalid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-catalog-'));
    try {
      const path = join(dir, 'catalog.json');
      const store = { store_id: 'nyc-001', region: 'us-east', timezone: 'America/New_York', currency: 'USD', price_factor: 1 };
      writeFileSync(path, JSON.stringify({ stores: [store], products: [] }));
      const catalog = await InMemoryCatalog.fromFile(path);
      expect(catalog.product('tea-1')).toBeUndefined();
      writeFileSync(path, JSON.stringify({ stores: [store], products: [{ sku: 'tea-1', category: 'grocery', list_price_minor: 300, unit_cost_minor: 120 }] }));
      await catalog.reload();
      expect(catalog.product('tea-1')).toMatchObject({ unit_cost_minor: 120 });
      writeFileSync(path, JSON.stringify({ stores: [{ ...store, timezone: 'Mars/Olympus' }], products: [] }));
      await expect(catalog.reload()).rejects.toMatchObject({ code: 'RS_ERR_CONFIG', message: expect.stringContaining('stores.0.timezone') });
      expect(catalog.product('tea-1')).toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
