/**
 * Cassandra adapters: the production OrderStorePort and DeadLetterPort, on one shared driver Client per
 * process, with the schema in central/cql applied by `migrate()`.
 */
import type { StoreCredentialPort } from '../../ports/credentials.ts';
import type { DeadLetterPort } from '../../ports/dead-letter.ts';
import type { OrderStorePort } from '../../ports/order-store.ts';
import type { CassandraAdapterOptions, CassandraConfig } from './config.ts';
import { CassandraStoreCredentials } from './credentials.ts';
import { CassandraDeadLetters } from './dead-letter.ts';
import { CassandraOrderStore } from './order-store.ts';
import { CassandraSession } from './session.ts';

export {
  cassandraConfigShape,
  cassandraConfigSchema,
  parseReplication,
  replicationCql,
  CONSISTENCY_LEVELS,
  type CassandraConfig,
  type CassandraAdapterOptions,
  type ConsistencyName,
  type Replication,
} from './config.ts';
export { shouldRetry, ResponseErrorCode, type RetryDecision } from './retry.ts';
export { cassandraErrors, hostCauses, toAdapterError, type HostCause } from './errors.ts';
export { migrateKeyspace, readMigrations, DEFAULT_MIGRATIONS_DIR, type MigrationFile } from './migrate.ts';
export { CassandraSession } from './session.ts';
export { CassandraOrderStore, SEQ_BUCKET_SIZE } from './order-store.ts';
export { CassandraDeadLetters } from './dead-letter.ts';
export { CassandraStoreCredentials } from './credentials.ts';

/** Connects (sharing the process's Client) and returns the order store; call `migrate()` next. */
export async function createCassandraOrderStore(config: CassandraConfig, options: CassandraAdapterOptions = {}): Promise<OrderStorePort> {
  return new CassandraOrderStore(await CassandraSession.acquire(config), config, options);
}

/** Connects (sharing the process's Client) and returns the dead-letter store; call `migrate()` next. */
export async function createCassandraDeadLetters(config: CassandraConfig, options: CassandraAdapterOptions = {}): Promise<DeadLetterPort> {
  return new CassandraDeadLetters(await CassandraSession.acquire(config), config, options);
}

/** Connects (sharing the process's Client) and returns the store-credential table; call `migrate()` next. */
export async function createCassandraStoreCredentials(config: CassandraConfig, options: CassandraAdapterOptions = {}): Promise<StoreCredentialPort> {
  return new CassandraStoreCredentials(await CassandraSession.acquire(config), config, options);
}
