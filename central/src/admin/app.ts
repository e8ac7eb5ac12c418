/**
 * The admin HTTP API (Fastify): health and readiness, store progress, queue depth, dead letters with
 * replay (one, or every unreplayed letter of a reason), catalog reload, and store keys
 * (credential-routes.ts). Errors answer `{ error: { code, message, retriable } }` with the status of their code.
 */
import { RetailSyncError } from '@retail-sync/libs/errors';
import { probeDependencies, requireAdminToken } from '@retail-sync/libs/runtime';
import type { DeadLetterPort, OrderStorePort, QueuePort } from '@retail-sync/libs/ports';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { centralErrors } from '../errors.ts';
import type { Logger } from '@retail-sync/libs/log';
import type { Catalog } from '../catalog/index.ts';
import type { ReplayDeadLetter, ReplayResult } from '../worker/index.ts';
import { registerCredentialRoutes, type CredentialAdminDependencies } from './credential-routes.ts';
import { metricsRoute, type Registry } from '@retail-sync/libs/metrics';
import { registerDashboard, type DashboardDependencies } from './dashboard/index.ts';

export interface AdminDependencies {
  queue: Pick<QueuePort, 'counts'>;
  orderStore: Pick<OrderStorePort, 'storeProgress'>;
  deadLetters: Pick<DeadLetterPort, 'list' | 'get'>;
  replay: ReplayDeadLetter;
  /** Store keys (issue, rotate, list, revoke); without it those routes are absent. */
  credentials?: CredentialAdminDependencies;
  /** For catalog reload and checking store ids of new keys. */
  catalog?: Pick<Catalog, 'store' | 'reload'>;
  logger?: Logger;
  /** How long a readiness probe waits for each dependency. @default 2000 */
  readinessTimeoutMs?: number;
  /** RS_ADMIN_TOKEN: when set, every route but /healthz, /readyz and /metrics requires it. */
  adminToken?: string;
  /** More readiness checks by name, from the roles this process runs (`kafka`: the Kafka consumer). */
  readiness?: Readonly<Record<string, () => Promise<unknown>>>;
  /** Served on GET /metrics when given. */
  metrics?: Registry;
  /** The operators' dashboard (/dashboard, /v1/admin/events, Bull Board); absent without it. */
  dashboard?: DashboardDependencies;
}

const deadLetterQuery = z.object({
  reason: z.string().min(1).optional(),
  store: z.string().min(1).optional(),
  include_replayed: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(500),
});

const bulkReplayBody = z
  .object({
    reason: z.string({ error: 'must be a reason code' }).regex(/^RS_ERR_[A-Z0-9_]+$/, { error: 'must be a reason code (RS_ERR_…)' }),
    store: z.string().min(1).optional(),
  })
  .strict();

/** The most letters one bulk replay takes; run it again for the rest. */
const BULK_REPLAY_MAX = 10_000;

export type BulkReplayEntry = ReplayResult | { id: string; error: { code: string; message: string } };

export function buildAdminApp(deps: AdminDependencies): FastifyInstance {
  const app = Fastify({ logger: false });
  const timeoutMs = deps.readinessTimeoutMs ?? 2_000;
  requireAdminToken(app, deps.adminToken, 'retail-sync central');

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof RetailSyncError) return reply.status(error.httpStatus).send({ error: error.toJSON() });
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    return reply.status(status).send({ error: { code: status < 500 ? 'RS_ERR_BAD_REQUEST' : 'RS_ERR_INTERNAL', message: (error as Error).message, retriable: status >= 500 } });
  });

  // pid: a supervisor that spawned this process can tell it answered, not another process on a reused port.
  app.get('/healthz', async () => ({ status: 'ok', pid: process.pid }));

  // Every probe asks each store central writes to (queue, order store, dead letters) a cheap read,
  // and each role-specific check (the Kafka consumer's) its question.
  app.get('/readyz', async (_request, reply) => {
    const { ready, checks } = await probeDependencies(
      {
        queue: () => deps.queue.counts(),
        order_store: () => deps.orderStore.storeProgress(),
        dead_letters: () => deps.deadLetters.list({ limit: 1 }),
        ...deps.readiness,
      },
      timeoutMs,
    );
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });

  app.get('/v1/admin/stores', async () => ({ stores: await deps.orderStore.storeProgress() }));

  app.get('/v1/admin/queue', async () => deps.queue.counts());

  app.get('/v1/admin/dead-letters', async (request, reply) => {
    const parsed = deadLetterQuery.safeParse(request.query);
    if (!parsed.success) {
      return reply.status(400).send({ error: { code: 'RS_ERR_BAD_REQUEST', message: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '), retriable: false } });
    }
    const query = parsed.data;
    const letters = await deps.deadLetters.list({
      reasonCode: query.reason,
      storeId: query.store,
      includeReplayed: query.include_replayed === undefined ? undefined : query.include_replayed === 'true',
      limit: query.limit,
    });
    return { dead_letters: letters };
  });

  app.get<{ Params: { id: string } }>('/v1/admin/dead-letters/:id', async (request) => {
    const letter = await deps.deadLetters.get(request.params.id);
    if (!letter) throw centralErrors.create('RS_ERR_DEAD_LETTER_NOT_FOUND', `no dead letter '${request.params.id}'`);
    return letter;
  });

  app.post<{ Params: { id: string } }>('/v1/admin/dead-letters/:id/replay', async (request, reply) => {
    return reply.status(202).send(await deps.replay(request.params.id));
  });

  // Every unreplayed letter of one reason (and store): one by one, so one that cannot be replayed
  // (no complete envelope) is reported and the others still go.
  app.post('/v1/admin/dead-letters/replay', async (request, reply) => {
    const parsed = bulkReplayBody.safeParse(request.body ?? {});
    if (!parsed.success) {
      return reply.status(400).send({ error: { code: 'RS_ERR_BAD_REQUEST', message: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; '), retriable: false } });
    }
    const letters = await deps.deadLetters.list({ reasonCode: parsed.data.reason, storeId: parsed.data.store, includeReplayed: false, limit: BULK_REPLAY_MAX });
    const results: BulkReplayEntry[] = [];
    for (const letter of letters) {
      try {
        results.push(await deps.replay(letter.id));
      } catch (error) {
        if (!(error instanceof RetailSyncError) || error.retriable) throw error;
        results.push({ id: letter.id, error: { code: error.code, message: error.message } });
      }
    }
    const replayed = results.filter((entry) => !('error' in entry)).length;
    return reply.status(202).send({ reason: parsed.data.reason, matched: letters.length, replayed, not_replayable: letters.length - replayed, results });
  });

  app.post('/v1/admin/catalog/reload', async () => {
    if (!deps.catalog) throw Object.assign(new Error('this central has no reloadable catalog'), { statusCode: 404 });
    await deps.catalog.reload();
    deps.logger?.info('catalog reloaded by an operator');
    return { status: 'reloaded' };
  });

  if (deps.credentials) registerCredentialRoutes(app, deps.credentials, deps.catalog, deps.logger);
  if (deps.metrics) metricsRoute(app, deps.metrics);
  if (deps.dashboard) registerDashboard(app, deps.dashboard);

  return app;
}
