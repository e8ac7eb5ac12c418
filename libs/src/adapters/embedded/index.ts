/** Embedded adapters: the same ports on one machine with no servers (DuckDB files under RS_DATA_DIR). */
export { EmbeddedDb, type SqlParams, type Row } from './db.ts';
export { EmbeddedOrderStore, applyMigrations, type Migration } from './order-store.ts';
export { EmbeddedDeadLetters } from './dead-letter.ts';
export { EmbeddedStoreCredentials } from './credentials.ts';
