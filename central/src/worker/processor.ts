/**
 * The worker's two queue hooks. `createSaleProcessor`: event → StoredSale → order store (micro-batched).
 * `createGiveUpHandler`: a job the queue gives up on → dead letter (stage 'worker') with its reason
 * code, message and raw payload. Together they keep "every accepted event ends up stored or
 * dead-lettered with a reason".
 */
import { errorCode } from '@retail-sync/libs/errors';
import { withTrace, type Logger } from '@retail-sync/libs/log';
import type { DeadLetterPort, EventProcessor, FailedJob, OrderStorePort } from '@retail-sync/libs/ports';
import type { Catalog } from '../catalog/index.ts';
import { buildStoredSale } from './enrich.ts';
import { SalesWriter } from './sales-writer.ts';

export interface SaleProcessorOptions {
  catalog: Pick<Catalog, 'store' | 'product'>;
  orderStore: Pick<OrderStorePort, 'putSales'>;
  piiKey: string;
  logger: Logger;
  /** Most sales per putSales. @default 256 */
  maxWriteBatch?: number;
}

export function createSaleProcessor(options: SaleProcessorOptions): EventProcessor {
  const writer = new SalesWriter(options.orderStore, options.maxWriteBatch ?? 256);
  return async (event, attempt) => {
    const sale = buildStoredSale(event, options.catalog, options.piiKey);
    await writer.write(sale);
    if (attempt > 1) withTrace(options.logger, event.trace_id, { event_id: event.event_id }).debug({ attempt }, 'sale stored after retry');
  };
}

export interface GiveUpOptions {
  deadLetters: Pick<DeadLetterPort, 'put'>;
  logger: Logger;
  now?: () => Date;
}

export function createGiveUpHandler(options: GiveUpOptions): (job: FailedJob) => Promise<void> {
  const now = options.now ?? (() => new Date());
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
    withTrace(options.logger, event.trace_id, { event_id: event.event_id, store_id: event.store_id, seq: event.seq }).warn(
      { reason_code: reasonCode, reason: message, attempts: attemptsMade },
      'event dead-lettered',
    );
  };
}
