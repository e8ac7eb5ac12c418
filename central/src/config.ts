/**
 * Central's configuration: one zod schema whose keys are the env names. `loadCentralConfig` validates
 * at start (RS_ERR_CONFIG names every bad key) and derives the embedded database paths.
 */
import { join } from 'node:path';
import { adminApiConfigShape, commonConfigShape, env, loadConfig } from '@retail-sync/libs/config';
import { DEV_STORE_KEY_SECRET } from '@retail-sync/libs/domain';
import { z } from 'zod';
import { cassandraConfigShape } from '@retail-sync/libs/cassandra';
import { bullmqConfigShape } from './queue/bullmq/config.ts';
import { embeddedQueueConfigShape } from './queue/embedded/config.ts';
import { kafkaIngestConfigShape } from './ingest/kafka/config.ts';
import { dashboardConfigShape } from './admin/dashboard/config.ts';
import { DEV_CREDENTIAL_PEPPER } from './ingest/store-credentials.ts';

/** ingest = gRPC ingest, kafka = Kafka consumer (same ingest core), worker = queue → order store, admin = admin API. */
export const CENTRAL_ROLES = ['ingest', 'kafka', 'worker', 'admin'] as const;
export type CentralRole = (typeof CENTRAL_ROLES)[number];

/** Development-only PII key: a real deployment must set its own RS_PII_KEY (hashes are only as private as this key). */
export const DEV_PII_KEY = 'retail-sync-dev-pii-key';

export const centralConfigSchema = z.object({
  ...commonConfigShape,
  ...adminApiConfigShape,
  /** Default 127.0.0.1. Interface the gRPC ingest and the admin API bind to. */
  RS_CENTRAL_HOST: env.string('127.0.0.1'),
  /** Default 8000. Admin HTTP API port (/healthz, /readyz, /v1/admin/…); 0 picks a free port. */
  RS_ADMIN_PORT: env.port(8000),
  /** Default 50051. gRPC ingest port (retailsync.v1.Ingest/Ship + grpc.health.v1); 0 picks a free port. */
  RS_GRPC_PORT: env.port(50051),
  /** Default DEV_STORE_KEY_SECRET (dev only). Secret store keys derive from: key = HMAC-SHA256(secret, store_id). */
  RS_STORE_KEY_SECRET: env.string(DEV_STORE_KEY_SECRET),
  /** Default unset = by RS_PROFILE: true on embedded, false on production. DEV ONLY: also accept the derived
   *  dev keys (HMAC-SHA256(RS_STORE_KEY_SECRET, store_id), sent without a key id), so `npm start` needs no
   *  setup. Anyone knowing RS_STORE_KEY_SECRET can then act as ANY store: never turn it on in production. */
  RS_DEV_DERIVED_KEYS: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  /** Default a development pepper (DEV_CREDENTIAL_PEPPER), for local runs only. Server secret from which the
   *  store-key hash key and the Kafka signing-key encryption key derive; keep it out of the database. */
  RS_CREDENTIAL_PEPPER: env.string(DEV_CREDENTIAL_PEPPER),
  /** Default 30000. How long a store key read from the credential store is trusted before it is read
   *  again; a revoked key stops authenticating within this time. */
  RS_CREDENTIAL_CACHE_TTL_MS: env.int(30_000, 0, 3_600_000),
  /** Default 24. How long the old keys of a store stay valid after a rotation, to redeploy the store. */
  RS_CREDENTIAL_ROTATION_OVERLAP_HOURS: env.int(24, 0, 24 * 90),
  /** Default unset (plaintext gRPC). PEM certificate chain of the gRPC ingest server; set with RS_GRPC_TLS_KEY to serve TLS only. */
  RS_GRPC_TLS_CERT: z.string().min(1).optional(),
  /** Default unset. PEM private key of RS_GRPC_TLS_CERT. */
  RS_GRPC_TLS_KEY: z.string().min(1).optional(),
  /** Default unset. PEM CA that signs store client certificates; set = mutual TLS (stores must present one). */
  RS_GRPC_TLS_CA: z.string().min(1).optional(),
  /** Default a development key (DEV_PII_KEY), for local runs only. HMAC key for customer_id hashes. */
  RS_PII_KEY: env.string(DEV_PII_KEY),
  /** Default data/seed/catalog.json. Stores and products the worker enriches sales from. */
  RS_CATALOG_PATH: env.string('data/seed/catalog.json'),
  /** Default 256. Jobs one worker processes at once, which is also the most sales per order-store
   *  write: the embedded engine pays one WAL sync per batch, so larger batches mean more events/s. */
  RS_WORKER_CONCURRENCY: env.int(256, 1, 10_000),
  /** Default 5. Tries of one job before it is dead-lettered (bad data is dead-lettered at once). */
  RS_WORKER_ATTEMPTS: env.int(5, 1, 100),
  /** Default 1000. First retry delay of a failed job; doubles each attempt. */
  RS_WORKER_BACKOFF_MS: env.int(1_000, 0),
  /** Default ingest,worker,admin. Which parts this process runs (any subset of ingest, kafka, worker, admin; kafka needs a broker). */
  RS_CENTRAL_ROLES: env
    .list('ingest,worker,admin')
    .pipe(z.array(z.enum(CENTRAL_ROLES, { error: `must list roles among ${CENTRAL_ROLES.join(', ')}` })).min(1, { error: 'must name at least one role' })),
  /** Default: by RS_PROFILE (embedded → embedded, production → bullmq). Overrides the queue adapter alone. */
  RS_QUEUE_ADAPTER: z.enum(['embedded', 'bullmq']).optional(),
  /** Default: by RS_PROFILE (embedded → embedded, production → cassandra). Overrides the order-store and dead-letter adapter. */
  RS_ORDER_STORE_ADAPTER: z.enum(['embedded', 'cassandra']).optional(),
  ...embeddedQueueConfigShape,
  ...bullmqConfigShape,
  ...cassandraConfigShape,
  ...kafkaIngestConfigShape,
  ...dashboardConfigShape,
})
  .refine((config) => (config.RS_GRPC_TLS_CERT === undefined) === (config.RS_GRPC_TLS_KEY === undefined), {
    error: 'RS_GRPC_TLS_CERT and RS_GRPC_TLS_KEY must be set together',
    path: ['RS_GRPC_TLS_CERT'],
  })
  .refine((config) => config.RS_GRPC_TLS_CA === undefined || config.RS_GRPC_TLS_CERT !== undefined, {
    error: 'RS_GRPC_TLS_CA (mutual TLS) needs RS_GRPC_TLS_CERT and RS_GRPC_TLS_KEY',
    path: ['RS_GRPC_TLS_CA'],
  });

export type CentralSettings = z.infer<typeof centralConfigSchema>;

export interface CentralConfig extends CentralSettings {
  /** Derived: `${RS_DATA_DIR}/central/queue.duckdb`. */
  queueDbPath: string;
  /** Derived: `${RS_DATA_DIR}/central/orders.duckdb` (order store and dead letters). */
  ordersDbPath: string;
}

/** RS_DEV_DERIVED_KEYS resolved: explicit value, else on for embedded and off for production. */
export function devDerivedKeysAllowed(config: Pick<CentralSettings, 'RS_DEV_DERIVED_KEYS' | 'RS_PROFILE'>): boolean {
  return config.RS_DEV_DERIVED_KEYS === undefined ? config.RS_PROFILE === 'embedded' : config.RS_DEV_DERIVED_KEYS === 'true';
}

export function loadCentralConfig(environment: NodeJS.ProcessEnv = process.env): CentralConfig {
  const settings = loadConfig(centralConfigSchema, environment, 'central');
  return {
    ...settings,
    queueDbPath: join(settings.RS_DATA_DIR, 'central', 'queue.duckdb'),
    ordersDbPath: join(settings.RS_DATA_DIR, 'central', 'orders.duckdb'),
  };
}
