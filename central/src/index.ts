/**
 * Central: gRPC ingest → queue → worker → order store, with dead letters and an admin API.
 * `startCentral(loadCentralConfig(process.env))` runs the roles named in RS_CENTRAL_ROLES.
 */
export { startCentral, type Central, type StartCentralOptions } from './main.ts';
export { centralConfigSchema, loadCentralConfig, CENTRAL_ROLES, DEV_PII_KEY, type CentralConfig, type CentralRole, type CentralSettings } from './config.ts';
export { centralErrors, type CentralErrorCode } from './errors.ts';
export { InMemoryCatalog, type Catalog, type CatalogStore, type CatalogProduct } from './catalog/index.ts';
export { createIngestCore, type IngestCore, type IngestEvent, type IngestBatch, type IngestAck } from './ingest/ingest-core.ts';
export { EmbeddedQueue, type EmbeddedQueueOptions } from './queue/embedded/index.ts';
export type { ReplayDeadLetter, ReplayResult } from './worker/index.ts';
