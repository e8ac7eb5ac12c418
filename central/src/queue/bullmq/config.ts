/**
 * Settings of the BullMQ (Redis) queue, as env keys with documented defaults. RS_QUEUE_DEDUPE_WINDOW_MS
 * and RS_QUEUE_LEASE_MS deliberately share name, meaning and default with the embedded queue, so one
 * setting holds in either profile.
 */
import { env } from '@retail-sync/libs/config';
import { z } from 'zod';

export const bullmqConfigShape = {
  /** Default redis://127.0.0.1:16379 (the project's own Redis, see scripts/services). Redis holding the
   *  queue; it must run with appendonly yes and maxmemory-policy noeviction. */
  RS_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, { error: 'must be a redis:// or rediss:// URL' })
    .default('redis://127.0.0.1:16379'),
  /** Default sales. BullMQ queue name; ingest and workers must agree on it. */
  RS_QUEUE_NAME: env.string('sales'),
  /** Default rs. Prefix of every Redis key of the queue (`<prefix>:<name>:…`). */
  RS_QUEUE_PREFIX: env.string('rs'),
  /** Default 86400000 (24 h). How long a completed or given-up job is kept, so a redelivered event_id
   *  within the window is answered 'duplicate'; after it the idempotent order-store write absorbs it. */
  RS_QUEUE_DEDUPE_WINDOW_MS: env.int(86_400_000, 0),
  /** Default 30000. BullMQ lockDuration: a consumer that dies mid-job has its job redelivered after
   *  this lock expires (plus at most one stalled-check interval). Renewed every half of it. */
  RS_QUEUE_LEASE_MS: env.int(30_000, 100),
  /** Default 30000. How often each worker looks for jobs whose lock expired (BullMQ stalledInterval). */
  RS_BULLMQ_STALLED_INTERVAL_MS: env.int(30_000, 100),
  /** Default 200000. Most completed jobs kept for duplicate answers (≈1–2 KB of Redis memory each); the
   *  effective window is the shorter of RS_QUEUE_DEDUPE_WINDOW_MS and this count at the current rate. */
  RS_BULLMQ_KEEP_COMPLETED: env.int(200_000, 0),
  /** Default 100000. Most given-up (dead-lettered) jobs kept in BullMQ's failed set for inspection. */
  RS_BULLMQ_KEEP_FAILED: env.int(100_000, 0),
  /** Default 300000. Longest delay between tries; only reached when the dead-letter write keeps failing. */
  RS_BULLMQ_MAX_BACKOFF_MS: env.int(300_000, 0),
  /** Default 5000. An enqueue or count that gets no Redis answer within this fails with
   *  RS_ERR_DEPENDENCY_UNAVAILABLE (ingest then does not ack and the store resends). */
  RS_REDIS_COMMAND_TIMEOUT_MS: env.int(5_000, 100),
  /** Default false. When true, enqueue also waits for WAITAOF 1 0 (Redis ≥ 7.2): an acked job is then
   *  fsynced to the AOF, not just written to it (everysec otherwise loses up to 1 s on a host crash). */
  RS_REDIS_WAIT_AOF: env.bool(false),
};

export type BullmqConfig = z.infer<z.ZodObject<typeof bullmqConfigShape>>;

export interface BullmqQueueOptions {
  /** @default 'redis://127.0.0.1:16379' */
  redisUrl: string;
  /** @default 'sales' */
  queueName: string;
  /** @default 'rs' */
  prefix: string;
  /** @default 86400000 */
  dedupeWindowMs: number;
  /** @default 30000 */
  lockDurationMs: number;
  /** @default 30000 */
  stalledIntervalMs: number;
  /** @default 200000 */
  keepCompleted: number;
  /** @default 100000 */
  keepFailed: number;
  /** @default 300000 */
  maxBackoffMs: number;
  /** @default 5000 */
  commandTimeoutMs: number;
  /** @default false */
  waitAof: boolean;
}

export function bullmqOptionsFrom(config: BullmqConfig): BullmqQueueOptions {
  return {
    redisUrl: config.RS_REDIS_URL,
    queueName: config.RS_QUEUE_NAME,
    prefix: config.RS_QUEUE_PREFIX,
    dedupeWindowMs: config.RS_QUEUE_DEDUPE_WINDOW_MS,
    lockDurationMs: config.RS_QUEUE_LEASE_MS,
    stalledIntervalMs: config.RS_BULLMQ_STALLED_INTERVAL_MS,
    keepCompleted: config.RS_BULLMQ_KEEP_COMPLETED,
    keepFailed: config.RS_BULLMQ_KEEP_FAILED,
    maxBackoffMs: config.RS_BULLMQ_MAX_BACKOFF_MS,
    commandTimeoutMs: config.RS_REDIS_COMMAND_TIMEOUT_MS,
    waitAof: config.RS_REDIS_WAIT_AOF,
  };
}
