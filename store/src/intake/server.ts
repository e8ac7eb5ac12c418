/**
 * The store's HTTP face for POS terminals: POST /v1/sales, GET /healthz, /readyz, /v1/status.
 * Bad input is always a 4xx naming the field (never a 5xx); 503 + Retry-After means "the store cannot
 * take it durably right now, retry", and then nothing of the request was stored.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { errorCode, RetailSyncError } from '@retail-sync/libs/errors';
import type { Logger } from '@retail-sync/libs/log';
import { storeErrors } from '../errors.ts';
import type { SaleIntake } from './sale-intake.ts';

export interface StoreStatus {
  store_id: string;
  last_seq: number;
  acked_seq: number;
  buffered_records: number;
  buffered_bytes: number;
  quarantined: number;
  oldest_unacked_at: string | null;
  buffer_state: 'open' | 'failed' | 'closed';
  /** Why the buffer fail-stopped (a failed write or fsync: EIO, ENOSPC …); null while healthy. */
  buffer_fault: { code: string; errno: string | null; message: string; at: string } | null;
  shipper: { endpoint: string | null; state: string; last_error: string | null };
}

export interface IntakeServerOptions {
  intake: SaleIntake;
  status: () => StoreStatus;
  maxSalesPerRequest: number;
  bodyLimitBytes: number;
  logger: Logger;
}

/** Seconds a POS should wait before retrying, by error code. */
const RETRY_AFTER_SECONDS: Record<string, number> = { RS_ERR_BUFFER_FULL: 5, RS_ERR_BUFFER_IO: 30, RS_ERR_BUFFER_CLOSED: 5 };

function badBody(rule: string): RetailSyncError {
  return storeErrors.create('RS_ERR_BAD_BODY', `request body ${rule}`, { details: { issues: [{ field: '(body)', rule }] } });
}

/** The sales of a body: one sale object, or {"sales": [...]}. */
export function salesOfBody(body: unknown, maxSales: number): unknown[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badBody('must be a JSON object: one sale, or {"sales": [...]}');
  }
  if (!('sales' in body)) return [body];
  const sales = (body as { sales: unknown }).sales;
  if (!Array.isArray(sales)) throw badBody('"sales" must be an array of sales');
  if (sales.length === 0) throw badBody('"sales" must contain at least one sale');
  if (sales.length > maxSales) {
    throw storeErrors.create('RS_ERR_BATCH_TOO_LARGE', `a request may carry at most ${maxSales} sales, got ${sales.length}`, { details: { maxSales } });
  }
  return sales;
}

function sendError(reply: FastifyReply, error: RetailSyncError): FastifyReply {
  const retryAfter = RETRY_AFTER_SECONDS[error.code];
  if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
  const issues = (error.details as { issues?: unknown } | undefined)?.issues;
  return reply.code(error.httpStatus).send({ error: { code: error.code, message: error.message, ...(issues ? { issues } : {}) } });
}

export function buildIntakeServer(options: IntakeServerOptions): FastifyInstance {
  const app = Fastify({ bodyLimit: options.bodyLimitBytes, logger: false });
  const logger = options.logger.child({ component: 'intake' });

  // Every body is parsed as JSON whatever its content type, so a POS gets our error, not a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string) as unknown);
    } catch {
      done(badBody('is not valid JSON'), undefined);
    }
  });

  app.setErrorHandler((error, _request, reply) => {
    const code = errorCode(error);
    if (error instanceof RetailSyncError) return sendError(reply, error);
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, storeErrors.create('RS_ERR_BATCH_TOO_LARGE', `request body exceeds ${options.bodyLimitBytes} bytes`));
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return sendError(reply, badBody((error as Error).message));
    logger.error({ err: error }, 'unexpected intake error');
    return sendError(reply, storeErrors.create('RS_ERR_INTERNAL', 'internal error', { cause: error }));
  });

  app.post('/v1/sales', async (request, reply) => {
    // A fail-stopped buffer takes nothing, not even a retry we could answer from the receipt index:
    // the POS keeps every sale until the store is repaired and restarted.
    const fault = options.status().buffer_fault;
    if (fault) return sendError(reply, storeErrors.create('RS_ERR_BUFFER_IO', fault.message, { details: { errno: fault.errno } }));
    const sales = salesOfBody(request.body, options.maxSalesPerRequest);
    let results;
    try {
      results = await options.intake.accept(sales);
    } catch (error) {
      const code = errorCode(error);
      if (error instanceof RetailSyncError) {
        const fields = { code, sales: sales.length };
        if (code === 'RS_ERR_BUFFER_FULL') logger.warn(fields, 'buffer full: answered 503');
        else logger.error({ ...fields, err: error }, 'could not store sales durably: answered 503');
        return sendError(reply, error);
      }
      throw error;
    }
    const anyStored = results.some((result) => result.status !== 'rejected');
    return reply.code(anyStored ? 202 : 400).send({ results });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const status = options.status();
    const ready = status.buffer_state === 'open';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', buffer_state: status.buffer_state, buffer_fault: status.buffer_fault });
  });

  app.get('/v1/status', async () => options.status());

  return app;
}
