/** Test helpers for dags: in-memory fakes of the order-store and dead-letter ports, and sale builders. */
export { InMemoryOrderStore } from './in-memory-order-store.ts';
export { InMemoryDeadLetters } from './in-memory-dead-letters.ts';
export { storedSale, deadLetter, type TestStore, type TestLine, type TestSale } from './sales.ts';
export { rollupDataset, lateSale, nyc, yyz, DST_DAY, DAY_BEFORE } from './rollup-dataset.ts';
export { silentLogger, testRunner } from './engine.ts';
