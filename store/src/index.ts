/**
 * The store edge service: POS intake → durable disk buffer → gRPC shipper to central, plus the POS
 * traffic simulator. `startStore` composes one store; `runSimulator` drives traffic into stores.
 */
export { startStore, type RunningStore, type StartStoreOptions } from './store.ts';
export { storeConfigSchema, loadStoreConfig, storeConfig, storeDataDir, type StoreConfig } from './config.ts';
export { storeErrors, type StoreErrorCode } from './errors.ts';
export { claimIdentity, configForIdentity, parseIdentitySpecs, poolStatus, provisionPool, type ClaimedIdentity, type IdentitySpec, type IdentityStatus } from './identity/index.ts';
export type { StoreStatus, SaleResult } from './intake/index.ts';
export type { BufferStats, BufferFileSystem } from './buffer/index.ts';
export { formatInspection, inspectBuffer, isBufferDir, type BufferInspection } from './buffer/index.ts';
export { DiskBuffer, nodeFileSystem } from './buffer/index.ts';
export type { ShipperStatus, ShipperState } from './shipper/index.ts';
export {
  runSimulator,
  type AcceptedSale,
  type PosSale,
  type ReceiptKey,
  type SimulatedStore,
  type SimulatorCatalog,
  type SimulationResult,
  type SimulatorOptions,
  type StoreSimulationCounts,
  type StoreSimulationResult,
} from './simulator/index.ts';
