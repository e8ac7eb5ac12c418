/** The store and product catalog, in memory, reloadable. */
export { InMemoryCatalog, catalogSchema, unitCostFor, type Catalog, type CatalogData, type CatalogProduct, type CatalogStore } from './catalog.ts';
