/**
 * How Cassandra failures leave the adapter: as catalogue errors classified by `shouldRetry`, with the
 * driver's error kept as `cause` and each host's own failure listed in `details.hosts` (the driver's
 * NoHostAvailableError.innerErrors), so an operator sees which node said what.
 */
import { GrpcStatus, commonErrors, defineErrors, type RetailSyncError } from '../../errors/index.ts';
import { shouldRetry } from './retry.ts';

export const cassandraErrors = defineErrors({
  RS_ERR_CASSANDRA_REJECTED: {
    description:
      'Thrown when Cassandra rejects a statement for a reason a retry cannot fix: CQL syntax, an invalid request (a missing table: run migrate()), a value that does not fit its column, or missing rights.',
    retriable: false,
    httpStatus: 500,
    grpcStatus: GrpcStatus.INTERNAL,
  },
});

export interface HostCause {
  host: string;
  name: string;
  message: string;
  code?: number | string;
}

/** Each host's failure: the inner errors of a NoHostAvailableError, or the one host a timeout names. */
export function hostCauses(error: unknown): HostCause[] {
  if (typeof error !== 'object' || error === null) return [];
  const { innerErrors, host } = error as { innerErrors?: unknown; host?: unknown };
  if (innerErrors && typeof innerErrors === 'object') {
    return Object.entries(innerErrors as Record<string, unknown>).map(([address, cause]) => describe(address, cause));
  }
  return typeof host === 'string' ? [describe(host, error)] : [];
}

function describe(host: string, cause: unknown): HostCause {
  const { name, message, code } = (typeof cause === 'object' && cause !== null ? cause : {}) as { name?: unknown; message?: unknown; code?: unknown };
  return {
    host,
    name: typeof name === 'string' ? name : 'Error',
    message: typeof message === 'string' ? message : String(cause),
    ...(typeof code === 'number' || typeof code === 'string' ? { code } : {}),
  };
}

/**
 * Wraps a driver failure of `operation` (e.g. "putSales") in the catalogue: retriable ones become
 * RS_ERR_DEPENDENCY_UNAVAILABLE, the rest RS_ERR_CASSANDRA_REJECTED. Catalogue errors pass unchanged.
 */
export function toAdapterError(error: unknown, operation: string): RetailSyncError | Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('RS_ERR_')) return error as Error;
  const message = error instanceof Error ? error.message : String(error);
  const hosts = hostCauses(error);
  const details = hosts.length > 0 ? { operation, hosts } : { operation };
  const decision = shouldRetry(error);
  if (decision.retry) {
    return commonErrors.create('RS_ERR_DEPENDENCY_UNAVAILABLE', `cassandra ${operation}: ${message}`, { cause: error, details });
  }
  return cassandraErrors.create('RS_ERR_CASSANDRA_REJECTED', `cassandra ${operation}: ${decision.reason} — ${message}`, { cause: error, details });
}
