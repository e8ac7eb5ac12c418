/**
 * Whether a failed Redis call (enqueue, counts) may succeed if tried again. Keyed on the Node socket
 * error code and on the Redis reply's first word (the server's error prefix), never on the class.
 */
import { errorCode } from '@retail-sync/libs/errors';

export type RetryDecision = { retry: true } | { retry: false; reason: string };

/** Socket-level failures: Redis is down, restarting or unreachable (Node's `err.code`). */
const RETRIABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * Reply prefixes Redis sends while it cannot serve writes yet: LOADING (replaying the AOF after a
 * restart), BUSY (a script runs), TRYAGAIN/CLUSTERDOWN/MASTERDOWN (failover), READONLY (we reached a
 * demoted replica), OOM (maxmemory reached under noeviction: frees as workers complete jobs).
 */
const RETRIABLE_REPLY_PREFIXES = ['LOADING', 'BUSY', 'TRYAGAIN', 'CLUSTERDOWN', 'MASTERDOWN', 'READONLY', 'OOM'];

/**
 * ioredis messages without a code: "Connection is closed." (socket ended), "Command timed out",
 * "Stream isn't writeable and enableOfflineQueue options is false", "Reached the max retries per
 * request limit"; our own timeout says "did not answer".
 */
const RETRIABLE_MESSAGES = [/connection is closed/i, /command timed out/i, /stream isn't writeable/i, /max retries per request/i, /did not answer/i];

export function shouldRetry(error: unknown): RetryDecision {
  const code = errorCode(error);
  if (code !== undefined && RETRIABLE_SOCKET_CODES.has(code)) return { retry: true };
  const message = error instanceof Error ? error.message : String(error);
  const replyPrefix = message.split(' ', 1)[0] ?? '';
  if (RETRIABLE_REPLY_PREFIXES.includes(replyPrefix)) return { retry: true };
  if (RETRIABLE_MESSAGES.some((pattern) => pattern.test(message))) return { retry: true };
  // WRONGTYPE (another app's key under our prefix), NOPERM/NOAUTH (ACL), ERR unknown command (server
  // too old): an operator must act; retrying the same call cannot help.
  return { retry: false, reason: `redis refused the call: ${message}` };
}
