/**
 * Composes central from its config: the adapters of its profile (adapters.ts), the catalog, and the
 * roles this process runs (gRPC ingest, worker, admin API).
 * Closing runs in reverse of the flow: stop taking batches (acking those in flight), stop the admin
 * API, let the worker finish its running jobs, then release the files.
 */
import { createLogger, type Logger } from '@retail-sync/libs/log';
import type { DeadLetterPort, OrderStorePort, QueueConsumer, QueuePort, StoreCredentialPort } from '@retail-sync/libs/ports';
import { openAdapters } from './adapters.ts';
import { startAdmin } from './admin/index.ts';
import { InMemoryCatalog, type Catalog } from './catalog/index.ts';
import { devDerivedKeysAllowed, type CentralConfig } from './config.ts';
import { startGrpcIngest } from './ingest/grpc/index.ts';
import { createIngestCore } from './ingest/ingest-core.ts';
import { CredentialCrypto, DEV_CREDENTIAL_PEPPER, StoreKeyVerifier } from './ingest/store-credentials.ts';
import { startKafkaIngest } from './ingest/kafka/index.ts';
import { createIngestTelemetry } from './ingest/ingest-telemetry.ts';
import { createCentralMetrics } from './metrics.ts';
import { BullmqQueue } from './queue/bullmq/index.ts';
import { createDeadLetterReplayer, startWorker, type ReplayDeadLetter } from './worker/index.ts';

export interface StartCentralOptions {
  logger?: Logger;
}

export interface Central {
  /** Bound gRPC ingest port; undefined when this process does not run the 'ingest' role. */
  grpcPort: number | undefined;
  /** Admin API base URL (http://127.0.0.1:8000); undefined without the 'admin' role. */
  adminUrl: string | undefined;
  queue: QueuePort;
  orderStore: OrderStorePort;
  deadLetters: DeadLetterPort;
  credentials: StoreCredentialPort;
  catalog: Catalog;
  replayDeadLetter: ReplayDeadLetter;
  /** Graceful stop; safe to call twice. */
  close(): Promise<void>;
}

export async function startCentral(config: CentralConfig, options: StartCentralOptions = {}): Promise<Central> {
  const logger = options.logger ?? createLogger({ service: 'central', level: config.RS_LOG_LEVEL });
  const roles = new Set(config.RS_CENTRAL_ROLES);
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((error: unknown) => logger.error({ err: error }, 'central: close step failed'));
    }
  };

  try {
    const catalog = await InMemoryCatalog.fromFile(config.RS_CATALOG_PATH);
    const { queue, orderStore, deadLetters, credentials, chosen } = await openAdapters(config, logger, (close) => closers.push(close));
    logger.info({ profile: config.RS_PROFILE, adapters: chosen }, 'central adapters open');
    const crypto = new CredentialCrypto(config.RS_CREDENTIAL_PEPPER);
    const devKeys = devDerivedKeysAllowed(config);
    const verifier = new StoreKeyVerifier({ port: credentials, crypto, devSecret: devKeys ? config.RS_STORE_KEY_SECRET : undefined, cacheTtlMs: config.RS_CREDENTIAL_CACHE_TTL_MS });
    if (devKeys) logger.warn({ profile: config.RS_PROFILE }, 'RS_DEV_DERIVED_KEYS is on: any store key derived from RS_STORE_KEY_SECRET is accepted (development only)');
    if (config.RS_PROFILE === 'production' && !config.RS_ADMIN_TOKEN && roles.has('admin')) logger.warn('RS_ADMIN_TOKEN is unset: the admin API (replay, store keys) is open to anyone who can reach it');
    if (config.RS_PROFILE === 'production' && config.RS_CREDENTIAL_PEPPER === DEV_CREDENTIAL_PEPPER) logger.warn('RS_CREDENTIAL_PEPPER is the development default; set a secret pepper in production');
    const replayDeadLetter = createDeadLetterReplayer({ queue, deadLetters, logger });
    const metrics = createCentralMetrics({ queue, deadLetters, logger });

    let consumer: QueueConsumer | undefined;
    if (roles.has('worker')) {
      consumer = startWorker({
        queue, orderStore, deadLetters, catalog, logger,
        piiKey: config.RS_PII_KEY,
        concurrency: config.RS_WORKER_CONCURRENCY,
        attempts: config.RS_WORKER_ATTEMPTS,
        backoffMs: config.RS_WORKER_BACKOFF_MS,
        metrics,
      });
      closers.push(() => consumer!.close());
    }

    // Ingest from Kafka starts before the admin API, so /readyz can ask the consumer from its first probe.
    const core = createIngestCore({ queue, orderStore, deadLetters, logger, telemetry: createIngestTelemetry(logger, metrics) });
    const readiness: Record<string, () => Promise<unknown>> = {};
    if (roles.has('kafka')) {
      const kafkaIngest = await startKafkaIngest(config, { core, deadLetters, storeKeySecret: config.RS_STORE_KEY_SECRET, verifier, logger, catalog });
      closers.push(() => kafkaIngest.close());
      readiness.kafka = () => kafkaIngest.health();
    }

    let adminUrl: string | undefined;
    if (roles.has('admin')) {
      const admin = await startAdmin({
        host: config.RS_CENTRAL_HOST, port: config.RS_ADMIN_PORT, queue, orderStore, deadLetters, replay: replayDeadLetter, logger, catalog,
        credentials: { port: credentials, crypto, verifier, overlapMs: config.RS_CREDENTIAL_ROTATION_OVERLAP_HOURS * 3_600_000 },
        metrics,
        readiness,
        adminToken: config.RS_ADMIN_TOKEN,
        dashboard: { queue, orderStore, deadLetters, logger, dagsUrl: config.RS_DAGS_URL, adminToken: config.RS_ADMIN_TOKEN, bullQueue: queue instanceof BullmqQueue ? queue.bullQueue : undefined },
      });
      closers.push(() => admin.close());
      adminUrl = admin.url;
    }

    let grpcPort: number | undefined;
    if (roles.has('ingest')) {
      const grpc = await startGrpcIngest({
        host: config.RS_CENTRAL_HOST, port: config.RS_GRPC_PORT, verifier, catalog, core, logger,
        tls: config.RS_GRPC_TLS_CERT && config.RS_GRPC_TLS_KEY ? { certPath: config.RS_GRPC_TLS_CERT, keyPath: config.RS_GRPC_TLS_KEY, clientCaPath: config.RS_GRPC_TLS_CA } : undefined,
      });
      closers.push(() => grpc.close());
      grpcPort = grpc.port;
    }

    logger.info({ roles: [...roles], grpc_port: grpcPort, admin_url: adminUrl }, 'central started');
    let closing: Promise<void> | undefined;
    return {
      grpcPort, adminUrl, queue, orderStore, deadLetters, credentials, catalog, replayDeadLetter,
      close() {
        closing ??= closeAll().then(() => logger.info('central stopped'));
        return closing;
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
