/**
 * The store's HTTP face for POS terminals: POST /v1/sales, GET /healthz, /readyz, /v1/status.
 * Bad input is always a 4xx naming the field (never a 5xx); 503 + Retry-After means "the store cannot
 * take it durably right now, retry", and then nothing of the request was stored.
 *
 * Limits at the edge: bodies only as application/json in UTF-8 (415 otherwise), at most
 * RS_INTAKE_BODY_LIMIT_BYTES and RS_INTAKE_MAX_SALES_PER_REQUEST (413), nesting and duplicate keys
 * refused (strict-json.ts), a per-terminal request rate (429, @fastify/rate-limit), a deadline for
 * receiving a whole request (408, slow clients), and 503 while the process is under pressure
 * (event-loop delay or heap, @fastify/under-pressure), so an overloaded store sheds sales it could
 * not take durably in time instead of queueing them until it falls over.
 */
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { errorCode, RetailSyncError } from '@retail-sync/libs/errors';
import type { Logger } from '@retail-sync/libs/log';
import { metricsRoute, type Registry } from '@retail-sync/libs/metrics';
import { storeErrors } from '../errors.ts';
import { RejectedSale, type SaleIntake } from './sale-intake.ts';
import { parseStrictJson } from './strict-json.ts';

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
  /** Requests per terminal per window (RS_INTAKE_RATE_LIMIT_MAX / _WINDOW_MS). @default 12000 per 60000 ms */
  rateLimit?: { max: number; windowMs: number };
  /** Time a client has to send a whole request (RS_INTAKE_REQUEST_TIMEOUT_MS). @default 30000 */
  requestTimeoutMs?: number;
  /**
   * Past either limit POST /v1/sales answers 503 RS_ERR_OVERLOADED + Retry-After before reading the
   * body (@fastify/under-pressure); other routes are exempt. 0 = that check off. @default both off
   */
  pressure?: { maxEventLoopDelayMs: number; maxHeapUsedBytes: number; sampleIntervalMs?: number };
  logger: Logger;
  /** Served on GET /metrics when given. */
  metrics?: Registry;
}

/** Seconds a POS should wait before retrying, by error code. */
const RETRY_AFTER_SECONDS: Record<string, number> = { RS_ERR_BUFFER_FULL: 5, RS_ERR_BUFFER_IO: 30, RS_ERR_BUFFER_CLOSED: 5, RS_ERR_OVERLOADED: 5 };
/** How often a store under pressure logs that it refuses sales (one line per episode, not per request). */
const PRESSURE_LOG_INTERVAL_MS = 10_000;

function badBody(rule: string, field = '(body)'): RetailSyncError {
  return storeErrors.create('RS_ERR_BAD_BODY', `request ${field === '(body)' ? 'body' : field} ${rule}`, { details: { issues: [{ field, rule }] } });
}

function unsupportedMediaType(contentType: string | undefined): RetailSyncError {
  const rule = 'must be sent as content-type application/json (charset utf-8)';
  return storeErrors.create('RS_ERR_UNSUPPORTED_MEDIA_TYPE', `request body ${rule}, got ${JSON.stringify(contentType ?? null)}`, { details: { issues: [{ field: '(body)', rule }] } });
}

/** The rate-limit key: the terminal the POS names (if it looks like an id), else the client address. */
function terminalKey(request: FastifyRequest): string {
  const terminal = request.headers[TERMINAL_HEADER];
  return typeof terminal === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:\-/]{0,63}$/.test(terminal) ? `terminal:${terminal}` : `address:${request.ip}`;
}

/** Objects nest at most this deep in a body: a sale needs 4 ({sales:[{lines:[{…}]}]}); the rest is headroom. */
const MAX_BODY_DEPTH = 16;
const TERMINAL_HEADER = 'x-terminal-id';

/** A parsed body and the keys it repeated (by path), for salesOfBody to reject precisely. */
export class ParsedBody {
  constructor(
    readonly value: unknown,
    readonly duplicateKeys: Array<Array<string | number>> = [],
  ) {}
}

/**
 * The sales of a body: one sale object, or {"sales": [...]}. A sale with a repeated key becomes a
 * RejectedSale naming it (its neighbours are still taken); a key repeated outside any sale rejects the body.
 */
export function salesOfBody(body: unknown, maxSales: number): unknown[] {
  const parsed = body instanceof ParsedBody ? body : new ParsedBody(body);
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badBody('must be a JSON object: one sale, or {"sales": [...]}');
  }
  const batch = 'sales' in value;
  let sales: unknown[];
  if (batch) {
    const listed = (value as { sales: unknown }).sales;
    if (!Array.isArray(listed)) throw badBody('"sales" must be an array of sales', 'sales');
    if (listed.length === 0) throw badBody('"sales" must contain at least one sale', 'sales');
    if (listed.length > maxSales) {
      const rule = `must carry at most ${maxSales} sales per request, got ${listed.length}`;
      throw storeErrors.create('RS_ERR_BATCH_TOO_LARGE', `sales ${rule}`, { details: { maxSales, issues: [{ field: 'sales', rule }] } });
    }
    sales = [...listed];
  } else {
    sales = [value];
  }
  const repeated = new Map<number, string[]>();
  for (const path of parsed.duplicateKeys) {
    const inSale = batch ? (path[0] === 'sales' && typeof path[1] === 'number' && path.length > 2 ? { index: path[1], field: path.slice(2) } : undefined) : { index: 0, field: path };
    if (!inSale) throw badBody('must not repeat a key in an object', path.join('.'));
    repeated.set(inSale.index, [...(repeated.get(inSale.index) ?? []), inSale.field.join('.')]);
  }
  for (const [index, fields] of repeated) {
    sales[index] = new RejectedSale(fields.map((field) => ({ field, rule: 'must appear only once in its object (duplicate key)' })));
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
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const app = Fastify({ bodyLimit: options.bodyLimitBytes, logger: false, requestTimeout: requestTimeoutMs, connectionTimeout: requestTimeoutMs * 2 });
  const logger = options.logger.child({ component: 'intake' });
  const limit = options.rateLimit ?? { max: 12_000, windowMs: 60_000 };

  // JSON only, decoded strictly: any other media type or charset is our 415, never a guess.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1];
    if (charset !== undefined && charset.toLowerCase() !== 'utf-8' && charset.toLowerCase() !== 'utf8') {
      done(unsupportedMediaType(request.headers['content-type']), undefined);
      return;
    }
    const parsed = parseStrictJson(body as Buffer, MAX_BODY_DEPTH);
    if (parsed.ok) done(null, new ParsedBody(parsed.value, parsed.duplicateKeys));
    else done(badBody(parsed.issue.rule, parsed.issue.field), undefined);
  });
  app.addContentTypeParser('*', (request, _payload, done) => done(unsupportedMediaType(request.headers['content-type']), undefined));

  app.setErrorHandler((error, request, reply) => {
    const code = errorCode(error);
    if (error instanceof RetailSyncError) return sendError(reply, error);
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const rule = `must be at most ${options.bodyLimitBytes} bytes`;
      return sendError(reply, storeErrors.create('RS_ERR_BATCH_TOO_LARGE', `request body ${rule}`, { details: { issues: [{ field: '(body)', rule }] } }));
    }
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') return sendError(reply, unsupportedMediaType(request.headers['content-type']));
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return sendError(reply, badBody((error as Error).message));
    logger.error({ err: error }, 'unexpected intake error');
    return sendError(reply, storeErrors.create('RS_ERR_INTERNAL', 'internal error', { cause: error }));
  });

  // Registered in its own scope so the limiter's route hook exists before the route does.
  void app.register(async (scoped) => {
    await scoped.register(rateLimit, {
      max: limit.max,
      timeWindow: limit.windowMs,
      keyGenerator: terminalKey,
      errorResponseBuilder: (_request, context) =>
        storeErrors.create('RS_ERR_RATE_LIMITED', `too many requests from this terminal; retry in ${context.after}`, {
          details: { issues: [{ field: '(request)', rule: `at most ${context.max} requests per ${limit.windowMs} ms per terminal (${TERMINAL_HEADER})` }] },
        }),
    });
    // After the limiter: its onRequest hook runs first, then this one answers 503 (the route then never runs).
    const pressure = options.pressure;
    if (pressure && (pressure.maxEventLoopDelayMs > 0 || pressure.maxHeapUsedBytes > 0)) {
      let loggedAt = -Infinity;
      await scoped.register(underPressure, {
        maxEventLoopDelay: pressure.maxEventLoopDelayMs,
        maxHeapUsedBytes: pressure.maxHeapUsedBytes,
        sampleInterval: pressure.sampleIntervalMs ?? 1000,
        pressureHandler: (_request, reply, type, value) => {
          if (performance.now() - loggedAt >= PRESSURE_LOG_INTERVAL_MS) {
            loggedAt = performance.now();
            logger.warn({ type, value }, 'store under pressure: answering 503 to POST /v1/sales');
          }
          void sendError(reply, storeErrors.create('RS_ERR_OVERLOADED', `the store is under pressure (${type}); retry later`));
        },
      });
    }
    scoped.post('/v1/sales', async (request, reply) => {
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
  });

  // pid: a supervisor that spawned this process can tell it answered, not another process on a reused port.
  app.get('/healthz', async () => ({ status: 'ok', pid: process.pid }));

  app.get('/readyz', async (_request, reply) => {
    const status = options.status();
    const ready = status.buffer_state === 'open';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', buffer_state: status.buffer_state, buffer_fault: status.buffer_fault });
  });

  app.get('/v1/status', async () => options.status());

  if (options.metrics) metricsRoute(app, options.metrics);

  return app;
}
