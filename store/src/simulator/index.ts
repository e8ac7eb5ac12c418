/**
 * POS traffic simulator: realistic, seeded sales (baskets, discounts, tax, refunds, voids, malformed
 * sales, POS retries) posted to stores' intake; returns what each store confirmed.
 */
export { runSimulator, type AcceptedSale, type ReceiptKey, type SimulationResult, type SimulatorOptions, type StoreSimulationCounts, type StoreSimulationResult } from './run-simulator.ts';
export { SaleGenerator, MALFORMED_KINDS, type CatalogProduct, type GeneratedSale, type MalformedKind, type PosSale, type SimulatedStore, type SimulatorCatalog } from './sale-generator.ts';
export { seededRandom, type Random } from './prng.ts';
export { localIsoWithOffset } from '@retail-sync/libs/domain';
