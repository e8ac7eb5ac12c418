/**
 * The retry decision for a failed job, shared by every queue adapter: bad data is given up at once,
 * anything else is retried with backoff until attempts run out. Keyed on the error's `retriable`
 * flag (libs/errors), never on its class, because errors cross process boundaries.
 */
import { errorCode } from '@retail-sync/libs/errors';

export type RetryDecision = { retry: true } | { retry: false; reason: string };

export function shouldRetryJob(error: unknown): RetryDecision {
  const retriable = typeof error === 'object' && error !== null ? (error as { retriable?: unknown }).retriable : undefined;
  if (retriable === false) return { retry: false, reason: `${errorCode(error) ?? 'error'} is not retriable` };
  return { retry: true };
}

/** Delay before try `attemptsMade + 1`: backoffMs × 2^(attemptsMade − 1). */
export function backoffDelayMs(backoffMs: number, attemptsMade: number): number {
  return backoffMs * 2 ** Math.max(0, attemptsMade - 1);
}
