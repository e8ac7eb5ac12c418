/**
 * The operators' dashboard, served by central's admin API: one static page (page/, no build step)
 * kept live over server-sent events (GET /v1/admin/events), the DAG runner's runs, backfills and
 * reconciliation proxied under /v1/admin/dags/… (one origin, no CORS), and Bull Board at /admin/queues
 * when the queue is BullMQ. Dead-letter inspect and replay use the admin API's own routes.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '@retail-sync/libs/log';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BULL_BOARD_PATH, mountBullBoard } from './bull-board.ts';
import { DagsClient } from './dags-client.ts';
import { SnapshotSource, type SnapshotDependencies } from './snapshot.ts';
import { SnapshotStream } from './snapshot-stream.ts';

export { dashboardConfigShape } from './config.ts';
export type { DashboardSnapshot, StoreRow } from './snapshot.ts';

export interface DashboardDependencies extends Omit<SnapshotDependencies, 'dags' | 'bullBoardPath'> {
  /** The DAG runner's HTTP (RS_DAGS_URL). */
  dagsUrl: string;
  /** RS_ADMIN_TOKEN, sent on to the DAG runner. */
  adminToken?: string;
  /** The BullMQ queue, to mount Bull Board on; absent for the embedded queue. */
  bullQueue?: Queue;
  logger?: Logger;
  /** How often open pages get a snapshot. @default 2000 */
  intervalMs?: number;
}

const PAGE_FILES = { 'index.html': 'text/html; charset=utf-8', 'dashboard.js': 'text/javascript; charset=utf-8', 'dashboard.css': 'text/css; charset=utf-8' } as const;
const businessDate = /^\d{4}-\d{2}-\d{2}$/;

export function registerDashboard(app: FastifyInstance, deps: DashboardDependencies): void {
  const dags = new DagsClient(deps.dagsUrl, deps.adminToken);
  if (deps.bullQueue) mountBullBoard(app, deps.bullQueue);
  const source = new SnapshotSource({ ...deps, dags, bullBoardPath: deps.bullQueue ? BULL_BOARD_PATH : null });
  const stream = new SnapshotStream(source, deps.intervalMs ?? 2_000, deps.logger);
  app.addHook('preClose', async () => stream.closeAll());

  const page = Object.fromEntries(Object.keys(PAGE_FILES).map((file) => [file, readFileSync(new URL(`./page/${file}`, import.meta.url), 'utf8')]));
  app.get('/', async (_request, reply) => reply.redirect('/dashboard'));
  app.get('/dashboard', async (_request, reply) => reply.type(PAGE_FILES['index.html']).send(page['index.html']));
  for (const file of ['dashboard.js', 'dashboard.css'] as const) {
    app.get(`/dashboard/${file}`, async (_request, reply) => reply.type(PAGE_FILES[file]).send(page[file]));
  }

  app.get<{ Querystring: { date?: string } }>('/v1/admin/events', (request, reply) => {
    const date = request.query.date !== undefined && businessDate.test(request.query.date) ? request.query.date : new Date().toISOString().slice(0, 10);
    reply.hijack();
    stream.open(reply.raw, date);
  });
  app.get('/v1/admin/snapshot', async () => source.snapshot());

  // The DAG runner's API, passed through with its status and body (errors keep their RS_ERR code).
  const pass = (method: 'GET' | 'POST', path: (params: Record<string, string>) => string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    const answer = await dags.request(method, `${path(request.params as Record<string, string>)}${query}`, method === 'POST' ? (request.body ?? {}) : undefined);
    return reply.status(answer.status).send(answer.body);
  };
  app.get('/v1/admin/dags/runs', pass('GET', () => '/v1/dags/runs'));
  app.post('/v1/admin/dags/backfill', pass('POST', () => '/v1/dags/backfill'));
  app.get('/v1/admin/dags/backfill/:id', pass('GET', (params) => `/v1/dags/backfill/${encodeURIComponent(params.id!)}`));
  app.get('/v1/admin/dags/reconcile', pass('GET', () => '/v1/dags/reconcile'));
  app.post('/v1/admin/dags/reconcile', pass('POST', () => '/v1/dags/reconcile'));
}
