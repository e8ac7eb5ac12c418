/**
 * Retry decision for DuckDB errors, keyed on DuckDB's exception type, which prefixes every message
 * ("IO Error: …", "Binder Error: …" — duckdb/src/common/exception.cpp ExceptionTypeToString). Transient
 * failures (I/O, a write-write conflict, memory pressure, an interrupt) may pass on a later attempt; bad
 * SQL or bad data never will and is rejected at once.
 */
import { commonErrors, type RetailSyncError } from '@retail-sync/libs/errors';
import { dagsErrors } from '../../errors.ts';

const TRANSIENT = ['IO Error', 'TransactionContext Error', 'Out of Memory Error', 'Interrupt Error', 'Connection Error'];

export function shouldRetry(error: unknown): { retry: true } | { retry: false; reason: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (TRANSIENT.some((type) => message.startsWith(type))) return { retry: true };
  return { retry: false, reason: message.split(':')[0] || 'unknown DuckDB error' };
}

/** Wraps a DuckDB failure into the catalogue: retriable → RS_ERR_DEPENDENCY_UNAVAILABLE, else RS_ERR_WAREHOUSE_QUERY. */
export function toWarehouseError(error: unknown, what: string): RetailSyncError | unknown {
  if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string') return error;
  const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
  return shouldRetry(error).retry
    ? commonErrors.create('RS_ERR_DEPENDENCY_UNAVAILABLE', message, { cause: error })
    : dagsErrors.create('RS_ERR_WAREHOUSE_QUERY', message, { cause: error });
}
