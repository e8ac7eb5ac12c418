/**
 * The worker: consumes the queue, validates and enriches each sale, writes it to the order store, and
 * dead-letters what cannot be stored. Also the operator's dead-letter replay.
 */
import type { Logger } from '@retail-sync/libs/log';
import type { ConsumeOptions, DeadLetterPort, OrderStorePort, QueueConsumer, QueuePort } from '@retail-sync/libs/ports';
import type { Registry } from '@retail-sync/libs/metrics';
import type { Catalog } from '../catalog/index.ts';
import { createGiveUpHandler, createSaleProcessor } from './processor.ts';
import { createWorkerTelemetry } from './worker-telemetry.ts';

export { buildStoredSale, customerHash } from './enrich.ts';
export { createGiveUpHandler, createSaleProcessor, type GiveUpOptions, type SaleProcessorOptions } from './processor.ts';
export { createWorkerTelemetry, type WorkerTelemetry } from './worker-telemetry.ts';
export { createDeadLetterReplayer, type ReplayDeadLetter, type ReplayResult } from './replay.ts';

export interface WorkerOptions extends ConsumeOptions {
  queue: Pick<QueuePort, 'consume'>;
  orderStore: Pick<OrderStorePort, 'putSales'>;
  deadLetters: Pick<DeadLetterPort, 'put'>;
  catalog: Pick<Catalog, 'store' | 'product'>;
  piiKey: string;
  logger: Logger;
  /** Where the worker's metrics go (central's registry); default: a private one. */
  metrics?: Registry;
}

/** Starts one queue consumer running the worker; close it to stop after the running jobs. */
export function startWorker(options: WorkerOptions): QueueConsumer {
  const { queue, orderStore, deadLetters, catalog, piiKey, logger, concurrency, attempts, backoffMs } = options;
  const telemetry = createWorkerTelemetry(logger, options.metrics);
  const processor = createSaleProcessor({ catalog, orderStore, piiKey, logger, telemetry, maxWriteBatch: Math.max(concurrency, 1) });
  const onGiveUp = createGiveUpHandler({ deadLetters, logger, telemetry });
  logger.info({ concurrency, attempts, backoff_ms: backoffMs }, 'worker started');
  return queue.consume(processor, onGiveUp, { concurrency, attempts, backoffMs });
}
