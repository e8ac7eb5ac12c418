/**
 * Bull Board (a kept library) mounted on the admin server for the BullMQ queue, instead of a queue UI
 * of our own. Read-only on purpose: a given-up job is already in the dead-letter store, and replaying
 * it from there (the dashboard) is what records replayed_at; a retry from Bull Board would bypass that.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';

export const BULL_BOARD_PATH = '/admin/queues';

export function mountBullBoard(app: FastifyInstance, queue: Queue): void {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  // @bull-board/fastify pins its own patch release of @bull-board/api: same classes, separate type declarations.
  const adapter = serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'];
  createBullBoard({ queues: [new BullMQAdapter(queue, { readOnlyMode: true })], serverAdapter: adapter, options: { uiConfig: { boardTitle: 'retail-sync queue' } } });
  void app.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
}
