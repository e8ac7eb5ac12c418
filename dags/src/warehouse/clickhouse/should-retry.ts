/**
 * Retry decision for ClickHouse failures, keyed on the server's error code (ClickHouse
 * src/Common/ErrorCodes.cpp). @clickhouse/client keeps it on ClickHouseError.code, but its parser
 * expects the current "Code: 62. DB::Exception: … (SYNTAX_ERROR)" text; 18.16 answers "Code: 62,
 * e.displayText() = DB::Exception: …", which the client leaves as a plain Error, so the code is read
 * from the message too. Transient failures (timeouts, network, memory pressure, overload) may pass on a
 * later attempt; bad SQL or bad data never will and is rejected at once. Without a server code, a
 * socket-level failure (refused, reset, client timeout) is transient.
 */
import { commonErrors, type RetailSyncError } from '@retail-sync/libs/errors';
import { dagsErrors } from '../../errors.ts';

/** Server codes worth another attempt. */
const TRANSIENT_CODES = new Map<number, string>([
  [3, 'UNEXPECTED_END_OF_FILE'], // a response cut off mid-stream
  [159, 'TIMEOUT_EXCEEDED'],
  [173, 'CANNOT_ALLOCATE_MEMORY'],
  [202, 'TOO_MANY_SIMULTANEOUS_QUERIES'],
  [203, 'NO_FREE_CONNECTION'],
  [209, 'SOCKET_TIMEOUT'],
  [210, 'NETWORK_ERROR'],
  [236, 'ABORTED'],
  [241, 'MEMORY_LIMIT_EXCEEDED'],
  [242, 'TABLE_IS_READ_ONLY'], // a replica lost ZooKeeper for a while
  [252, 'TOO_MANY_PARTS'], // merges are behind; inserts pass again once they catch up
  [285, 'TOO_FEW_LIVE_REPLICAS'],
  [319, 'UNKNOWN_STATUS_OF_INSERT'], // our writes replace whole partitions, so repeating one is safe
  [384, 'PART_IS_TEMPORARILY_LOCKED'],
  [394, 'QUERY_WAS_CANCELLED'],
  [425, 'SYSTEM_ERROR'],
  [999, 'KEEPER_EXCEPTION'],
]);

/** Codes of bad SQL or bad data, named so a log line says what went wrong (any other code: no retry either). */
const PERMANENT_CODES = new Map<number, string>([
  [6, 'CANNOT_PARSE_TEXT'],
  [27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'],
  [38, 'CANNOT_PARSE_DATE'],
  [41, 'CANNOT_PARSE_DATETIME'],
  [47, 'UNKNOWN_IDENTIFIER'],
  [53, 'TYPE_MISMATCH'],
  [57, 'TABLE_ALREADY_EXISTS'],
  [60, 'UNKNOWN_TABLE'],
  [62, 'SYNTAX_ERROR'],
  [81, 'UNKNOWN_DATABASE'],
  [115, 'UNKNOWN_SETTING'],
  [117, 'INCORRECT_DATA'],
  [192, 'UNKNOWN_USER'],
  [193, 'WRONG_PASSWORD'],
  [497, 'ACCESS_DENIED'],
  [516, 'AUTHENTICATION_FAILED'],
]);

const TRANSIENT_SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
const TRANSIENT_MESSAGES = [/^Timeout error\.?$/, /socket hang up/i, /The user aborted a request/];

/** The ClickHouse server error code of `error`, or undefined when the failure never reached the server. */
export function clickHouseErrorCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  const message = error instanceof Error ? error.message : '';
  const match = /^Code: (\d+)[.,]/.exec(message.trimStart());
  return match ? Number(match[1]) : undefined;
}

export function shouldRetry(error: unknown): { retry: true } | { retry: false; reason: string } {
  const code = clickHouseErrorCode(error);
  if (code !== undefined) {
    if (TRANSIENT_CODES.has(code)) return { retry: true };
    return { retry: false, reason: `ClickHouse ${code} ${PERMANENT_CODES.get(code) ?? 'error'}` };
  }
  const socketCode = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof socketCode === 'string' && TRANSIENT_SOCKET_ERRORS.has(socketCode)) return { retry: true };
  const message = error instanceof Error ? error.message : String(error);
  if (TRANSIENT_MESSAGES.some((pattern) => pattern.test(message))) return { retry: true };
  return { retry: false, reason: message.split('\n')[0] || 'unknown ClickHouse client error' };
}

/** Wraps a ClickHouse failure into the catalogue: retriable → RS_ERR_DEPENDENCY_UNAVAILABLE, else RS_ERR_WAREHOUSE_QUERY. */
export function toWarehouseError(error: unknown, what: string): RetailSyncError | unknown {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && code.startsWith('RS_ERR_')) return error;
  const message = `${what}: ${error instanceof Error ? error.message.trim() : String(error)}`;
  return shouldRetry(error).retry
    ? commonErrors.create('RS_ERR_DEPENDENCY_UNAVAILABLE', message, { cause: error })
    : dagsErrors.create('RS_ERR_WAREHOUSE_QUERY', message, { cause: error });
}
