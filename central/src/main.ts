/**
 * Composes central from its config: the adapters of its profile (adapters.ts), the catalog, and the
 * roles this process runs (gRPC ingest, worker, admin API).
 * Closing runs in reverse of the flow: stop taking batches (acking those in flight), stop the admin
 * API, let the worker finish its running jobs, then release the files.
 */
import { createLogger, type Logger } from '@retail-sync/libs/log';
import type { DeadLetterPort, OrderStorePort, QueueConsumer, QueuePort } from '@retail-sync/libs/ports';
import { openAdapters } from './adapters.ts';
import { startAdmin } from './admin/index.ts';
import { InMemoryCatalog, type Catalog } from './catalog/index.ts';
import type { CentralConfig } from './config.ts';
import { startGrpcIngest } from './ingest/grpc/index.ts';
import { createIngestCore } from './ingest/ingest-core.ts';
import { startKafkaIngest } from './ingest/kafka/index.ts';
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
    const { queue, orderStore, deadLetters, chosen } = await openAdapters(config, logger, (close) => closers.push(close));
    logger.info({ profile: config.RS_PROFILE, adapters: chosen }, 'central adapters open');
    const replayDeadLetter = createDeadLetterReplayer({ queue, deadLetters, logger });

    let consumer: QueueConsumer | undefined;
    if (roles.has('worker')) {
      consumer = startWorker({
        queue, orderStore, deadLetters, catalog, logger,
        piiKey: config.RS_PII_KEY,
        concurrency: config.RS_WORKER_CONCURRENCY,
        attempts: config.RS_WORKER_ATTEMPTS,
        backoffMs: config.RS_WORKER_BACKOFF_MS,
      });
      closers.push(() => consumer!.close());
    }

    let adminUrl: string | undefined;
    if (roles.has('admin')) {
      const admin = await startAdmin({ host: config.RS_CENTRAL_HOST, port: config.RS_ADMIN_PORT, queue, orderStore, deadLetters, replay: replayDeadLetter, logger });
      closers.push(() => admin.close());
      adminUrl = admin.url;
    }

    const core = createIngestCore({ queue, orderStore, deadLetters, logger });
    if (roles.has('kafka')) {
      const kafkaIngest = await startKafkaIngest(config, { core, deadLetters, storeKeySecret: config.RS_STORE_KEY_SECRET, logger, catalog });
      closers.push(() => kafkaIngest.close());
    }

    let grpcPort: number | undefined;
    if (roles.has('ingest')) {
      const grpc = await startGrpcIngest({ host: config.RS_CENTRAL_HOST, port: config.RS_GRPC_PORT, storeKeySecret: config.RS_STORE_KEY_SECRET, catalog, core, logger });
      closers.push(() => grpc.close());
      grpcPort = grpc.port;
    }

    logger.info({ roles: [...roles], grpc_port: grpcPort, admin_url: adminUrl }, 'central started');
    let closing: Promise<void> | undefined;
    return {
      grpcPort, adminUrl, queue, orderStore, deadLetters, catalog, replayDeadLetter,
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
