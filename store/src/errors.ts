/**
 * The store's error catalogue. Codes are the contract with POS terminals (HTTP bodies) and with
 * operators (logs): classify by `code`, never by class. Shared codes (RS_ERR_INVALID_EVENT,
 * RS_ERR_STORE_MISMATCH, RS_ERR_CONFIG …) live in libs and are not repeated here.
 */
import { defineErrors, GrpcStatus } from '@retail-sync/libs/errors';

export const storeErrors = defineErrors({
  RS_ERR_BUFFER_FULL: {
    description: 'Thrown when an append would take the buffer past its size cap (RS_BUFFER_MAX_BYTES); nothing was appended, retry after Retry-After.',
    retriable: true,
    httpStatus: 503,
    grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED,
  },
  RS_ERR_BUFFER_IO: {
    description:
      'Thrown when a buffer write or fsync failed: the buffer stops (fail-stop, nothing more is acknowledged) because after a failed fsync the on-disk state is unknown; the store must be restarted, the POS retries later.',
    retriable: true,
    httpStatus: 503,
    grpcStatus: GrpcStatus.UNAVAILABLE,
  },
  RS_ERR_BUFFER_CORRUPT: {
    description: 'Thrown when a buffer record fails its checksum while being read; a restart quarantines it to quarantine.log.',
    retriable: false,
    httpStatus: 500,
    grpcStatus: GrpcStatus.INTERNAL,
  },
  RS_ERR_BUFFER_CLOSED: {
    description: 'Thrown when the buffer is used after close() (the store is shutting down).',
    retriable: true,
    httpStatus: 503,
    grpcStatus: GrpcStatus.UNAVAILABLE,
  },
  RS_ERR_BUFFER_ACK_RANGE: {
    description: 'Thrown when ack() names a seq the buffer has not durably appended yet (a shipper bug, never data).',
    retriable: false,
    httpStatus: 500,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
  },
  RS_ERR_BATCH_TOO_LARGE: {
    description: 'Thrown when a POST carries more sales than RS_INTAKE_MAX_SALES_PER_REQUEST or more bytes than RS_INTAKE_BODY_LIMIT_BYTES.',
    retriable: false,
    httpStatus: 413,
    grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED,
  },
  RS_ERR_BAD_BODY: {
    description: 'Thrown when a request body is not JSON or not a sale object / {"sales": [...]}; the issue names "(body)".',
    retriable: false,
    httpStatus: 400,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
  },
  RS_ERR_UNSUPPORTED_MEDIA_TYPE: {
    description: 'Thrown when a POST /v1/sales body is not sent as application/json (UTF-8); the issue names "(body)".',
    retriable: false,
    httpStatus: 415,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
  },
  RS_ERR_OVERLOADED: {
    description:
      'Thrown when the store is under pressure (mean event-loop delay past RS_STORE_MAX_EVENT_LOOP_DELAY_MS, or V8 heap past RS_STORE_MAX_HEAP_USED_PERCENT of its limit): POST /v1/sales is refused before its body is read; nothing was stored, retry after Retry-After.',
    retriable: true,
    httpStatus: 503,
    grpcStatus: GrpcStatus.UNAVAILABLE,
  },
  RS_ERR_RATE_LIMITED: {
    description: 'Thrown when one terminal (x-terminal-id, else its address) sends more than RS_INTAKE_RATE_LIMIT_MAX requests per RS_INTAKE_RATE_LIMIT_WINDOW_MS; nothing was stored, retry after Retry-After.',
    retriable: true,
    httpStatus: 429,
    grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED,
  },
  RS_ERR_CENTRAL_UNAVAILABLE: {
    description: 'Thrown when no central endpoint answers (connect failure, stream broken, ack timeout); the shipper backs off and fails over.',
    retriable: true,
    httpStatus: 503,
    grpcStatus: GrpcStatus.UNAVAILABLE,
  },
  RS_ERR_UNAUTHENTICATED: {
    description: "Thrown when central refuses the store's credential (RS_STORE_KEY + RS_STORE_KEY_ID, or the derived dev key of RS_STORE_KEY_SECRET, for RS_STORE_ID); the data is kept and shipping retries slowly.",
    retriable: false,
    httpStatus: 401,
    grpcStatus: GrpcStatus.UNAUTHENTICATED,
  },
  RS_ERR_SHIP_PROTOCOL: {
    description: 'Thrown when central answers a batch with an ack that covers none of its events; the batch is re-sent after a backoff.',
    retriable: true,
    httpStatus: 502,
    grpcStatus: GrpcStatus.INTERNAL,
  },
  RS_ERR_INTERNAL: {
    description: 'Thrown when intake hits an unexpected error (a bug, not bad input); the request stored nothing it did not report.',
    retriable: true,
    httpStatus: 500,
    grpcStatus: GrpcStatus.INTERNAL,
  },
  RS_ERR_IDENTITY_POOL_EXHAUSTED: {
    description:
      'Thrown when a starting store finds every identity in RS_STORE_IDENTITY_POOL held by a live replica for RS_STORE_IDENTITY_WAIT_MS; the message names the pool and the holders. Run fewer store replicas or provision more identities (retail-sync store-pool init).',
    retriable: true,
    httpStatus: 503,
    grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED,
  },
  RS_ERR_IDENTITY_POOL_INVALID: {
    description: 'Thrown when a starting store finds RS_STORE_IDENTITY_POOL missing or empty, or an identity.json (or the secret_file it names) is unreadable or invalid; the message names the file.',
    retriable: false,
    httpStatus: 500,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
  },
  RS_ERR_IDENTITY_LOST: {
    description:
      "Thrown when a store's identity lock was taken over or could not be refreshed within RS_STORE_IDENTITY_STALE_MS (the process was paused, the volume failed); the store exits at once so that two replicas never write one buffer, and a restart claims an identity again.",
    retriable: true,
    httpStatus: 503,
    grpcStatus: GrpcStatus.UNAVAILABLE,
  },
});

export type StoreErrorCode = keyof typeof storeErrors.specs;
