/**
 * The dags catalogue: every error the DAG runner, its jobs and its warehouse adapters raise, by stable
 * code. Callers (the runner's retry decision, HTTP handlers, the CLI) classify by code, never instanceof.
 */
import { defineErrors, GrpcStatus } from '@retail-sync/libs/errors';

export const dagsErrors = defineErrors({
  RS_ERR_TASK_FAILED: {
    description: 'Thrown when a DAG task failed on its last attempt; the run is failed and its dependants did not run.',
    retriable: true,
    httpStatus: 500,
    grpcStatus: GrpcStatus.INTERNAL,
  },
  RS_ERR_LEASE_HELD: {
    description: 'Thrown when another runner holds the lease on a job partition, so this runner leaves it alone.',
    retriable: true,
    httpStatus: 409,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
  },
  RS_ERR_LEASE_LOST: {
    description: 'Thrown when a runner could not renew its partition lease mid-run; it stops before the next task.',
    retriable: true,
    httpStatus: 409,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
  },
  RS_ERR_UNKNOWN_JOB: {
    description: 'Thrown when a job id is not among the definitions.',
    retriable: false,
    httpStatus: 404,
    grpcStatus: GrpcStatus.NOT_FOUND,
  },
  RS_ERR_UNKNOWN_BACKFILL: {
    description: 'Thrown when a backfill id is unknown to this runner (never started here, or forgotten after a restart).',
    retriable: false,
    httpStatus: 404,
    grpcStatus: GrpcStatus.NOT_FOUND,
  },
  RS_ERR_UNKNOWN_ROLLUP: {
    description: 'Thrown when a rollup name is not one the warehouse adapter knows.',
    retriable: false,
    httpStatus: 404,
    grpcStatus: GrpcStatus.NOT_FOUND,
  },
  RS_ERR_JOB_DEFINITION: {
    description: 'Thrown at load when a job definition is invalid: bad id or cron, unknown dependency, or a cycle.',
    retriable: false,
    httpStatus: 500,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
  },
  RS_ERR_INVALID_PARTITION: {
    description: 'Thrown when a partition or date range is not a real YYYY-MM-DD business date (or from > to).',
    retriable: false,
    httpStatus: 400,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
  },
  RS_ERR_INVALID_REQUEST: {
    description: "Thrown when a request to the runner's HTTP API has an invalid query string or body; details list each field.",
    retriable: false,
    httpStatus: 400,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
  },
  RS_ERR_PARTITION_MISMATCH: {
    description: 'Thrown when a fact row handed to replaceFacts belongs to another business date than the partition.',
    retriable: false,
    httpStatus: 400,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
  },
  RS_ERR_WAREHOUSE_QUERY: {
    description: 'Thrown when the warehouse rejects a statement for a reason a retry cannot fix (SQL, types, constraints).',
    retriable: false,
    httpStatus: 500,
    grpcStatus: GrpcStatus.INTERNAL,
  },
});

export type DagsErrorCode = keyof typeof dagsErrors.specs;
