/**
 * The worker's two queue hooks. `createSaleProcessor`: event → StoredSale → order store (micro-batched).
 * `createGiveUpHandler`: a job the queue gives up on → dead letter (stage 'worker') with its reason
 * code, message and raw payload. Together they keep "every accepted event ends up stored or
 * dead-lettered with a reason".
 */
import { errorCode } from '@retail-sync/libs/errors';
import type { Logger } from '@retail-sync/libs/log';
import type { DeadLetterPort, EventProcessor, FailedJob, OrderStorePort } from '@retail-sync/libs/ports';
import type { Catalog } from '../catalog/index.ts';
import { buildStoredSale } from './enrich.ts';
import { SalesWriter } from './sales-writer.ts';
import { createWorkerTelemetry, type WorkerTelemetry } from './worker-telemetry.ts';

export interface SaleProcessorOptions {
  catalog: Pick<Catalog, 'store' | 'product'>;
  orderStore: Pick<OrderStorePort, 'putSales'>;
  piiKey: string;
  logger: Logger;
  /** Most sales per putSales. @default 256 */
  maxWriteBatch?: number;
  /** Logs and counts each attempt; default: logs only. */
  telemetry?: WorkerTelemetry;
}

export function createSaleProcessor(options: SaleProcessorOptions): EventProcessor {
  const writer = new SalesWriter(options.orderStore, options.maxWriteBatch ?? 256);
  const telemetry = options.telemetry ?? createWorkerTelemetry(options.logger);
  return async (event, attempt) => {
    const startedAt = performance.now();
    try {
      await writer.write(buildStoredSale(event, options.catalog, options.piiKey));
    } catch (error) {
      telemetry.attemptFinished(event, attempt, 'error', (performance.now() - startedAt) / 1000);
      throw error;
    }
    telemetry.attemptFinished(event, attempt, 'stored', (performance.now() - startedAt) / 1000);
  };
}

export interface GiveUpOptions {
  deadLetters: Pick<DeadLetterPort, 'put'>;
  logger: Logger;
  /** Logs and counts each dead letter; default: logs only. */
  telemetry?: WorkerTelemetry;
  now?: () => Date;
}

export function createGiveUpHandler(options: GiveUpOptions): (job: FailedJob) => Promise<void> {
  const now = options.now ?? (() => new Date());
  const telemetry = options.telemetry ?? createWorkerTelemetry(options.logger);
  return async ({ event, attemptsMade, error }) => {
    const code = errorCode(error);
    const message = error instanceof Error ? error.message : String(error);
    const reasonCode = code?.startsWith('RS_ERR_') ? code : 'RS_ERR_PROCESSING_FAILED';
    await options.deadLetters.put({
      id: event.event_id,
      event_id: event.event_id,
      store_id: event.store_id,
      seq: event.seq,
      trace_id: event.trace_id,
      stage: 'worker',
      reason_code: reasonCode,
      reason: code && reasonCode !== code ? `${code}: ${message}` : message,
      attempts: attemptsMade,
      payload: event.sale_json,
      received_at: event.received_at,
      created_at: now().toISOString(),
      replayed_at: null,
    });
    telemetry.deadLettered(event, { reasonCode, reason: message, attempts: attemptsMade });
  };
}
