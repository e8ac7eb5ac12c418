/**
 * BullMQ queue: QueuePort on Redis (production profile). Job id = event_id, duplicates answered while
 * the job is kept, stalled jobs redelivered, and given-up jobs always reach the dead-letter store first.
 */
import { createLogger, type Logger } from '@retail-sync/libs/log';
import { bullmqOptionsFrom, type BullmqConfig } from './config.ts';
import { BullmqQueue } from './queue.ts';

export { BullmqQueue } from './queue.ts';
export { bullmqConfigShape, bullmqOptionsFrom, type BullmqConfig, type BullmqQueueOptions } from './config.ts';
export { shouldRetry, type RetryDecision } from './retry.ts';

/** Builds the queue from central's loaded config; connects lazily (first call). */
export function createBullmqQueue(config: BullmqConfig, dependencies: { logger?: Logger } = {}): BullmqQueue {
  const logger = (dependencies.logger ?? createLogger({ service: 'central' })).child({ component: 'queue.bullmq' });
  return new BullmqQueue(bullmqOptionsFrom(config), logger);
}
