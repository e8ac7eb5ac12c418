/**
 * The retry decision for Cassandra failures: one pure function keyed on the driver's error names and the
 * server's error codes (native protocol spec §9, cassandra-driver `types.responseErrorCodes`). Every write
 * this adapter makes is idempotent, so a timeout may be retried; a statement Cassandra rejects is a bug
 * or a deployment mistake and is never retried.
 */

export type RetryDecision = { retry: true } | { retry: false; reason: string };

/** cassandra-driver `types.responseErrorCodes` (lib/types/index.js), copied so this stays a pure function. */
export const ResponseErrorCode = {
  serverError: 0x0000,
  protocolError: 0x000a,
  badCredentials: 0x0100,
  unavailableException: 0x1000,
  overloaded: 0x1001,
  isBootstrapping: 0x1002,
  truncateError: 0x1003,
  writeTimeout: 0x1100,
  readTimeout: 0x1200,
  readFailure: 0x1300,
  functionFailure: 0x1400,
  writeFailure: 0x1500,
  syntaxError: 0x2000,
  unauthorized: 0x2100,
  invalid: 0x2200,
  configError: 0x2300,
  alreadyExists: 0x2400,
  unprepared: 0x2500,
} as const;

const RETRIABLE_CODES = new Set<number>([
  ResponseErrorCode.unavailableException, // too few replicas alive for the consistency level
  ResponseErrorCode.overloaded, // coordinator shed load
  ResponseErrorCode.isBootstrapping, // node still joining
  ResponseErrorCode.truncateError,
  ResponseErrorCode.writeTimeout, // replicas did not ack in time; the write may or may not have landed (idempotent)
  ResponseErrorCode.readTimeout,
  ResponseErrorCode.writeFailure, // a replica failed the write (disk, ...); bounded by the caller's attempts
  ResponseErrorCode.readFailure,
  ResponseErrorCode.serverError, // unexpected server-side exception
  ResponseErrorCode.unprepared, // the driver re-prepares; surfaces only if that raced a schema change
]);

const REJECTED_CODES = new Map<number, string>([
  [ResponseErrorCode.syntaxError, 'CQL syntax error'],
  [ResponseErrorCode.invalid, 'invalid request (missing keyspace/table: run migrate(), or a bad value)'],
  [ResponseErrorCode.unauthorized, 'not authorized (grant the role access to the keyspace)'],
  [ResponseErrorCode.badCredentials, 'bad credentials (RS_CASSANDRA_USERNAME / RS_CASSANDRA_PASSWORD)'],
  [ResponseErrorCode.configError, 'schema configuration error'],
  [ResponseErrorCode.alreadyExists, 'schema object already exists'],
  [ResponseErrorCode.protocolError, 'protocol error'],
  [ResponseErrorCode.functionFailure, 'a CQL function failed on the given values'],
]);

interface DriverErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  innerErrors?: unknown;
}

/** Whether the same operation may succeed if tried again later. */
export function shouldRetry(error: unknown): RetryDecision {
  if (typeof error !== 'object' || error === null) return { retry: false, reason: `not an error: ${String(error)}` };
  const { name, code, innerErrors } = error as DriverErrorLike;
  // Our own catalogue errors already carry the decision.
  const retriable = (error as { retriable?: unknown }).retriable;
  if (typeof retriable === 'boolean') return retriable ? { retry: true } : { retry: false, reason: `${String(code)} is not retriable` };

  if (name === 'ResponseError' && typeof code === 'number') {
    if (RETRIABLE_CODES.has(code)) return { retry: true };
    const rejected = REJECTED_CODES.get(code);
    return { retry: false, reason: rejected ?? `Cassandra error code 0x${code.toString(16)}` };
  }
  switch (name) {
    case 'NoHostAvailableError': {
      // Every host refused us for a reason a retry cannot fix (bad credentials): say so; otherwise the
      // cluster is unreachable or down, which passes.
      const causes = innerErrors && typeof innerErrors === 'object' ? Object.values(innerErrors) : [];
      const verdicts = causes.map(shouldRetry);
      const fatal = verdicts.find((verdict): verdict is { retry: false; reason: string } => !verdict.retry);
      if (verdicts.length > 0 && verdicts.every((verdict) => !verdict.retry)) return { retry: false, reason: `every host failed: ${fatal!.reason}` };
      return { retry: true };
    }
    case 'OperationTimedOutError': // client-side readTimeout: no answer from the host in time
    case 'BusyConnectionError': // every connection to the host has maxRequestsPerConnection in flight
      return { retry: true };
    case 'AuthenticationError':
      return { retry: false, reason: 'authentication failed (RS_CASSANDRA_USERNAME / RS_CASSANDRA_PASSWORD)' };
    case 'ArgumentError':
    case 'TypeError': // the driver's encoder throws TypeError for a value that does not fit the column
    case 'RangeError':
    case 'NotSupportedError':
    case 'DriverInternalError':
      return { retry: false, reason: `${name}: ${String((error as DriverErrorLike).message)}` };
    default:
      // Socket-level errors (ECONNRESET, EPIPE …) usually arrive wrapped in NoHostAvailableError; a bare one
      // is a lost connection as well.
      if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return { retry: true };
      return { retry: false, reason: `unrecognised error ${String(name)}: ${String((error as DriverErrorLike).message)}` };
  }
}
