/**
 * The store service's configuration: one zod schema, keys are the env names, every key documents its
 * default. `loadStoreConfig` validates at start and names every bad key (RS_ERR_CONFIG).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { commonConfigShape, env, loadConfig } from '@retail-sync/libs/config';
import { STORE_KEY_ID_PATTERN, storeId } from '@retail-sync/libs/domain';
import { identityConfigShape } from './identity/config.ts';
import { shipperConfigShape } from './shipper/config.ts';

const MiB = 1024 * 1024;

export const storeConfigSchema = z.object({
  /** RS_PROFILE (embedded | production), RS_LOG_LEVEL (info), RS_DATA_DIR (data): shared by every service. */
  ...commonConfigShape,
  /** This store's id; fills in sales without one and is the identity central authenticates. @default 'nyc-001' */
  RS_STORE_ID: storeId.default('nyc-001'),
  /** Address the intake HTTP server binds to (never `localhost`). @default '127.0.0.1' */
  RS_STORE_HOST: env.string('127.0.0.1'),
  /** Intake HTTP port; 0 picks a free one. @default 5001 */
  RS_STORE_PORT: env.port(5001),
  /** Buffer directory. @default `${RS_DATA_DIR}/store/${RS_STORE_ID}` */
  RS_STORE_DATA_DIR: z.string().min(1).optional(),
  /** Sales one POST may carry. @default 500 */
  RS_INTAKE_MAX_SALES_PER_REQUEST: env.int(500, 1, 10_000),
  /** Largest request body in bytes. @default 4194304 (4 MiB) */
  RS_INTAKE_BODY_LIMIT_BYTES: env.int(4 * MiB, 1024),
  /** Buffer segment size; a full segment is sealed and deleted once fully acked. @default 8388608 (8 MiB) */
  RS_BUFFER_SEGMENT_BYTES: env.int(8 * MiB, 64 * 1024),
  /** Size cap of the buffer; past it intake answers 503 + Retry-After. @default 1073741824 (1 GiB) */
  RS_BUFFER_MAX_BYTES: env.int(1024 * MiB, 256 * 1024),
  /**
   * Extra wait before a group commit's write+fsync, to gather more appends. Appends that arrive while an
   * fsync runs always share the next one, so 0 already group-commits under load; measured on the dev VM,
   * 2 ms only added latency (64 writers: 55.6k appends/s at 0 ms vs 21.1k at 2 ms). @default 0
   */
  RS_BUFFER_GROUP_COMMIT_WAIT_MS: env.int(0, 0, 100),
  /** Bytes one group commit writes at most; a fuller group is flushed without waiting. @default 1048576 (1 MiB) */
  RS_BUFFER_GROUP_COMMIT_MAX_BYTES: env.int(MiB, 4096),
  /** How long a POS retry (terminal_id + receipt_no + type) is recognised after its sale left the buffer. @default 168 (7 days) */
  RS_IDEMPOTENCY_RETENTION_HOURS: env.int(168, 1),
  /** Requests one terminal (x-terminal-id header, else the client address) may make per RS_INTAKE_RATE_LIMIT_WINDOW_MS; past it 429 + Retry-After. A POS sends about one a second; this only stops a runaway or hostile client. @default 12000 */
  RS_INTAKE_RATE_LIMIT_MAX: env.int(12_000, 1),
  /** Window of RS_INTAKE_RATE_LIMIT_MAX in ms. @default 60000 */
  RS_INTAKE_RATE_LIMIT_WINDOW_MS: env.int(60_000, 100),
  /** How long a client may take to send a whole request (headers and body) before the store answers 408 and closes; stops slow-loris clients. @default 30000 */
  RS_INTAKE_REQUEST_TIMEOUT_MS: env.int(30_000, 100),
  /** Mean event-loop delay (ms, sampled every second) past which POST /v1/sales answers 503 + Retry-After (RS_ERR_OVERLOADED) instead of taking more work; health, status and metrics are still served. 0 = off. @default 1000 */
  RS_STORE_MAX_EVENT_LOOP_DELAY_MS: env.int(1000, 0),
  /** V8 heap in use, in percent of the heap limit (--max-old-space-size), past which POST /v1/sales answers 503 + Retry-After (RS_ERR_OVERLOADED). 0 = off. @default 90 */
  RS_STORE_MAX_HEAP_USED_PERCENT: env.int(90, 0, 100),
  /** Issued store key secret (`rss_…`, printed once by `retail-sync credentials issue`); set with RS_STORE_KEY_ID. Unset: the derived dev key of RS_STORE_KEY_SECRET, accepted only while central runs with RS_DEV_DERIVED_KEYS. @default unset */
  RS_STORE_KEY: z.string().regex(/^\S{16,256}$/, { error: 'must be the issued secret (16–256 characters, no spaces)' }).optional(),
  /** Id of the issued key (`rsk_…`); set with RS_STORE_KEY. @default unset */
  RS_STORE_KEY_ID: z.string().regex(STORE_KEY_ID_PATTERN, { error: 'must be a key id like rsk_0123456789abcdef' }).optional(),
  /** PEM CA that signed central's gRPC certificate; set = the store ships over TLS only and refuses a certificate that does not verify (wrong CA, expired, wrong host). @default unset (plaintext) */
  RS_CENTRAL_TLS_CA: z.string().min(1).optional(),
  /** PEM client certificate for mutual TLS (central with RS_GRPC_TLS_CA); set with RS_STORE_TLS_KEY. @default unset */
  RS_STORE_TLS_CERT: z.string().min(1).optional(),
  /** PEM private key of RS_STORE_TLS_CERT. @default unset */
  RS_STORE_TLS_KEY: z.string().min(1).optional(),
  ...shipperConfigShape,
  ...identityConfigShape,
}).refine((config) => (config.RS_STORE_KEY === undefined) === (config.RS_STORE_KEY_ID === undefined), {
  error: 'RS_STORE_KEY and RS_STORE_KEY_ID must be set together',
  path: ['RS_STORE_KEY_ID'],
}).refine((config) => (config.RS_STORE_TLS_CERT === undefined) === (config.RS_STORE_TLS_KEY === undefined) && (config.RS_STORE_TLS_CERT === undefined || config.RS_CENTRAL_TLS_CA !== undefined), {
  error: 'RS_STORE_TLS_CERT and RS_STORE_TLS_KEY go together, and need RS_CENTRAL_TLS_CA',
  path: ['RS_STORE_TLS_CERT'],
}).refine((config) => config.RS_BUFFER_MAX_BYTES >= 2 * config.RS_BUFFER_SEGMENT_BYTES, {
  error: 'RS_BUFFER_MAX_BYTES must be at least twice RS_BUFFER_SEGMENT_BYTES',
  path: ['RS_BUFFER_MAX_BYTES'],
});

export type StoreConfig = z.infer<typeof storeConfigSchema>;

/** Reads and validates the store's env; throws RS_ERR_CONFIG naming each bad key. */
export function loadStoreConfig(environment: NodeJS.ProcessEnv = process.env): StoreConfig {
  return loadConfig(storeConfigSchema, environment, 'store');
}

/** Parses a partial config object (tests, scripts): every missing key takes its default. */
export function storeConfig(overrides: Partial<Record<keyof StoreConfig, unknown>> = {}): StoreConfig {
  return storeConfigSchema.parse(overrides);
}

/** The buffer directory: RS_STORE_DATA_DIR, else `${RS_DATA_DIR}/store/${RS_STORE_ID}`. */
export function storeDataDir(config: StoreConfig): string {
  return config.RS_STORE_DATA_DIR ?? join(config.RS_DATA_DIR, 'store', config.RS_STORE_ID);
}
