/**
 * What the BullMQ integration tests and their child processes share: the Redis URL (required: a
 * missing RS_REDIS_URL fails the run, it never skips it) and options with short locks.
 */
import { randomBytes } from 'node:crypto';
import type { BullmqQueueOptions } from '../config.ts';

export const TEST_LOCK_MS = 1_000;
export const TEST_STALLED_INTERVAL_MS = 300;

export function requireRedisUrl(): string {
  const url = process.env.RS_REDIS_URL;
  if (!url) throw new Error('RS_REDIS_URL is not set: run `eval "$(scripts/services env)"` after `scripts/services up redis`');
  return url;
}

/** A queue of its own per test (`rs-test-<random>`), so tests never see each other's or anyone's jobs. */
export function testQueueOptions(overrides: Partial<BullmqQueueOptions> = {}): BullmqQueueOptions {
  return {
    redisUrl: requireRedisUrl(),
    queueName: `rs-test-${randomBytes(6).toString('hex')}`,
    prefix: 'rs-test',
    dedupeWindowMs: 3_600_000,
    lockDurationMs: TEST_LOCK_MS,
    stalledIntervalMs: TEST_STALLED_INTERVAL_MS,
    keepCompleted: 100_000,
    keepFailed: 100_000,
    maxBackoffMs: 1_000,
    commandTimeoutMs: 5_000,
    waitAof: false,
    ...overrides,
  };
}
