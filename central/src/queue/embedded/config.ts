/** Settings of the embedded (DuckDB) queue, as env keys with documented defaults. */
import { env } from '@retail-sync/libs/config';
import type { Logger } from '@retail-sync/libs/log';

export const embeddedQueueConfigShape = {
  /** Default 30000. How long a claimed job stays leased to its consumer; a consumer that dies mid-job
   *  (no completion, no lease renewal) has its jobs redelivered after this (stalled-job recovery). */
  RS_QUEUE_LEASE_MS: env.int(30_000, 100),
  /** Default 50. How often an idle consumer looks for jobs enqueued by another process or now due. */
  RS_QUEUE_POLL_MS: env.int(50, 1),
  /** Default 86400000 (24 h). How long a completed event_id is remembered, so a redelivery within
   *  the window is answered 'duplicate' instead of being queued again. */
  RS_QUEUE_DEDUPE_WINDOW_MS: env.int(86_400_000, 0),
  /** Default 1000000. Most completed ids kept for the duplicate check; older ones are pruned first. */
  RS_QUEUE_DEDUPE_MAX_IDS: env.int(1_000_000, 0),
};

export interface EmbeddedQueueOptions {
  /** DuckDB file, e.g. data/central/queue.duckdb (':memory:' for a private one). */
  path: string;
  /** @default 30000 */
  leaseMs?: number;
  /** @default 50 */
  pollIntervalMs?: number;
  /** @default 86400000 */
  dedupeWindowMs?: number;
  /** @default 1000000 */
  dedupeMaxIds?: number;
  /** Where consumers report a queue file they cannot reach (warn). @default silent */
  logger?: Logger;
  /** Jobs claimed per round trip at most (a consumer prefetches up to 2 × concurrency). @default 1024 */
  maxClaimBatch?: number;
}

export type ResolvedQueueOptions = Required<Omit<EmbeddedQueueOptions, 'logger'>> & Pick<EmbeddedQueueOptions, 'logger'>;

export function resolveQueueOptions(options: EmbeddedQueueOptions): ResolvedQueueOptions {
  return {
    leaseMs: 30_000,
    pollIntervalMs: 50,
    dedupeWindowMs: 86_400_000,
    dedupeMaxIds: 1_000_000,
    maxClaimBatch: 1024,
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
  } as ResolvedQueueOptions;
}

/** Options from central's loaded config. */
export function embeddedQueueOptionsFrom(
  config: { [K in keyof typeof embeddedQueueConfigShape]: number },
  path: string,
  logger?: Logger,
): EmbeddedQueueOptions {
  return {
    path,
    logger,
    leaseMs: config.RS_QUEUE_LEASE_MS,
    pollIntervalMs: config.RS_QUEUE_POLL_MS,
    dedupeWindowMs: config.RS_QUEUE_DEDUPE_WINDOW_MS,
    dedupeMaxIds: config.RS_QUEUE_DEDUPE_MAX_IDS,
  };
}
