/**
 * The shipper's retry decision, one pure function keyed on the gRPC status a stream ended with
 * (grpc.status numeric codes) or our own error code. "No" never drops data: the shipper parks for
 * RS_SHIP_AUTH_BACKOFF_MS and tries again, because only an operator can fix these.
 */
import { status } from '@grpc/grpc-js';
import { errorCode } from '@retail-sync/libs/errors';

export type RetryDecision = { retry: true } | { retry: false; reason: string };

export function shouldRetry(error: unknown): RetryDecision {
  const code = errorCode(error) ?? (error as { code?: unknown } | null)?.code;
  switch (code) {
    case status.UNAUTHENTICATED:
    case status.PERMISSION_DENIED:
    case 'RS_ERR_UNAUTHENTICATED':
      return { retry: false, reason: 'central refused the store credential (check RS_STORE_KEY_SECRET and RS_STORE_ID)' };
    case status.UNIMPLEMENTED:
      return { retry: false, reason: 'the endpoint does not serve retailsync.v1.Ingest/Ship' };
    case 'RS_ERR_BUFFER_IO':
    case 'RS_ERR_BUFFER_CLOSED':
      return { retry: false, reason: 'the buffer stopped; the store must restart' };
    default:
      // UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, INTERNAL, RESOURCE_EXHAUSTED, our timeouts: transient.
      return { retry: true };
  }
}
