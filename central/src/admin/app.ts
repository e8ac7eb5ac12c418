/**
 * The admin HTTP API (Fastify): health and readiness, store progress, queue depth, and dead letters
 * with replay. Errors answer `{ error: { code, message, retriable } }` with the status of their code.
 */
import { RetailSyncError } from '@retail-sync/libs/errors';
import type { DeadLetterPort, OrderStorePort, QueuePort } from '@retail-sync/libs/ports';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { centralErrors } from '../errors.ts';
import type { ReplayDeadLetter } from '../worker/index.ts';

export interface AdminDependencies {
  queue: Pick<QueuePort, 'counts'>;
  orderStore: Pick<OrderStorePort, 'storeProgress'>;
  deadLetters: Pick<DeadLetterPort, 'list' | 'get'>;
  replay: ReplayDeadLetter;
  /** How long a readiness probe waits for each dependency. @default 2000 */
  readinessTimeoutMs?: number;
}

const deadLetterQuery = z.object({
  reason: z.string().min(1).optional(),
  store: z.string().min(1).optional(),
  include_replayed: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(500),
});

export function buildAdminApp(deps: AdminDependencies): FastifyInstance {
  const app = Fastify({ logger: false });
  const timeoutMs = deps.readinessTimeoutMs ?? 2_000;

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof RetailSyncError) return reply.status(error.httpStatus).send({ error: error.toJSON() });
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    return reply.status(status).send({ error: { code: status < 500 ? 'RS_ERR_BAD_REQUEST' : 'RS_ERR_INTERNAL', message: (error as Error).message, retriable: status >= 500 } });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const [queue, orderStore] = await Promise.all([probe(() => deps.queue.counts(), timeoutMs), probe(() => deps.orderStore.storeProgress(), timeoutMs)]);
    const ready = queue === 'ok' && orderStore === 'ok';
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { queue, order_store: orderStore } });
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

  return app;
}

async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`timed out after ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([check().then(() => 'ok'), timeout]);
  } catch (error) {
    return (error as Error).message;
  } finally {
    clearTimeout(timer);
  }
}
