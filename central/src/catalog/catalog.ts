/**
 * The catalog central enriches sales from: stores (region, timezone, currency, price factor) and
 * products (category, list price, unit cost). Loaded from a JSON file (data/seed/catalog.json),
 * validated, held in memory; `reload()` swaps in a new version atomically or keeps the old one.
 */
import { readFile } from 'node:fs/promises';
import { currencyCode, isValidTimeZone, minorAmount, storeId } from '@retail-sync/libs/domain';
import { commonErrors } from '@retail-sync/libs/errors';
import { z } from 'zod';

const catalogStoreSchema = z.object({
  store_id: storeId,
  name: z.string().min(1).optional(),
  region: z.string().min(1),
  timezone: z.string().refine(isValidTimeZone, { error: 'must be an IANA timezone the runtime knows' }),
  currency: currencyCode,
  /** A store prices and costs products at reference × price_factor in its own minor units. */
  price_factor: z.number().positive(),
});

const catalogProductSchema = z.object({
  sku: z.string().min(1),
  category: z.string().min(1),
  list_price_minor: minorAmount,
  unit_cost_minor: minorAmount,
});

export const catalogSchema = z.object({
  stores: z.array(catalogStoreSchema),
  products: z.array(catalogProductSchema),
});

export type CatalogStore = z.infer<typeof catalogStoreSchema>;
export type CatalogProduct = z.infer<typeof catalogProductSchema>;
export type CatalogData = z.infer<typeof catalogSchema>;

/** What ingest and the worker ask the catalog. */
export interface Catalog {
  store(storeId: string): CatalogStore | undefined;
  product(sku: string): CatalogProduct | undefined;
  stores(): CatalogStore[];
  /** Re-reads the source; on a bad source the current version stays and the error is thrown. */
  reload(): Promise<void>;
}

/** Unit cost of a product in a store's currency minor units (reference cost × price factor). */
export function unitCostFor(product: CatalogProduct, store: CatalogStore): number {
  return Math.round(product.unit_cost_minor * store.price_factor);
}

export class InMemoryCatalog implements Catalog {
  private storesById = new Map<string, CatalogStore>();
  private productsBySku = new Map<string, CatalogProduct>();

  /** `source` is re-read by `reload()`; without one the catalog is fixed to `data`. */
  constructor(data: CatalogData, private readonly source?: () => Promise<unknown>) {
    this.replace(data);
  }

  /** Loads and validates a catalog file; `reload()` re-reads the same path. */
  static async fromFile(path: string): Promise<InMemoryCatalog> {
    const source = async () => JSON.parse(await readFile(path, 'utf8')) as unknown;
    return new InMemoryCatalog(parseCatalog(await source(), path), source);
  }

  store(id: string): CatalogStore | undefined {
    return this.storesById.get(id);
  }

  product(sku: string): CatalogProduct | undefined {
    return this.productsBySku.get(sku);
  }

  stores(): CatalogStore[] {
    return [...this.storesById.values()];
  }

  async reload(): Promise<void> {
    if (!this.source) return;
    this.replace(parseCatalog(await this.source(), 'catalog source'));
  }

  private replace(data: CatalogData): void {
    this.storesById = new Map(data.stores.map((store) => [store.store_id, store]));
    this.productsBySku = new Map(data.products.map((product) => [product.sku, product]));
  }
}

function parseCatalog(value: unknown, origin: string): CatalogData {
  const result = catalogSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw commonErrors.create('RS_ERR_CONFIG', `catalog ${origin} is invalid — ${problems.join('; ')}`, { details: { problems } });
}
