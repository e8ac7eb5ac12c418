/**
 * Central's error catalogue. Shared codes (RS_ERR_INVALID_EVENT, RS_ERR_STORE_MISMATCH,
 * RS_ERR_UNKNOWN_STORE, RS_ERR_UNKNOWN_PRODUCT, RS_ERR_DEPENDENCY_UNAVAILABLE, RS_ERR_CONFIG) live in
 * libs; these are the ones only central raises. Callers classify by code, never by class.
 */
import { defineErrors, GrpcStatus } from '@retail-sync/libs/errors';

export const centralErrors = defineErrors({
  RS_ERR_UNAUTHENTICATED: {
    description: 'Thrown when a store connects without a valid credential: missing x-store-id or Bearer secret, an unknown, wrong, revoked or expired key or one of another store, a derived dev key while RS_DEV_DERIVED_KEYS is off, or a store not in the catalog.',
    retriable: false,
    httpStatus: 401,
    grpcStatus: GrpcStatus.UNAUTHENTICATED,
  },
  RS_ERR_SHUTTING_DOWN: {
    description: 'Thrown when central is closing and stops taking batches; the store reconnects (to another replica) and resends.',
    retriable: true,
    httpStatus: 503,
    grpcStatus: GrpcStatus.UNAVAILABLE,
  },
  RS_ERR_JOB_STALLED: {
    description: 'Thrown when a job used its last attempt on a consumer that died mid-job (lease expired); the job is dead-lettered.',
    retriable: true,
    httpStatus: 500,
    grpcStatus: GrpcStatus.INTERNAL,
  },
  RS_ERR_PROCESSING_FAILED: {
    description: 'Thrown when the worker hit an unexpected error without a code of its own; retried, then dead-lettered under this code.',
    retriable: true,
    httpStatus: 500,
    grpcStatus: GrpcStatus.INTERNAL,
  },
  RS_ERR_DEAD_LETTER_NOT_FOUND: {
    description: 'Thrown when an operator asks for (or replays) a dead letter id that does not exist.',
    retriable: false,
    httpStatus: 404,
    grpcStatus: GrpcStatus.NOT_FOUND,
  },
  RS_ERR_NOT_REPLAYABLE: {
    description: 'Thrown when an operator replays a dead letter that has no complete envelope (rejected at ingest): the store must resend a corrected event.',
    retriable: false,
    httpStatus: 409,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
  },
  RS_ERR_CREDENTIAL_NOT_FOUND: {
    description: 'Thrown when an operator revokes (or asks for) a store key id that does not exist.',
    retriable: false,
    httpStatus: 404,
    grpcStatus: GrpcStatus.NOT_FOUND,
  },
});

export type CentralErrorCode = keyof typeof centralErrors.specs;
