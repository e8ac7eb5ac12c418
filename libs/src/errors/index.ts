/**
 * Errors are a catalogue: each has a stable code (RS_ERR_…), says whether a retry can help, and maps
 * to one HTTP and one gRPC status. Code, not `instanceof`, is what callers classify by, because errors
 * cross process boundaries (gRPC acks, dead letters, job failures).
 */

/** gRPC status codes we map to (numeric values of grpc.status, kept here so libs needs no grpc import). */
export const GrpcStatus = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export interface ErrorSpec {
  /** Human sentence: "Thrown when …". Documented in README's error table. */
  description: string;
  /** True when the same operation may succeed later (network, overload); false for bad data. */
  retriable: boolean;
  httpStatus: number;
  grpcStatus: number;
}

export class RetailSyncError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly httpStatus: number;
  readonly grpcStatus: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, spec: ErrorSpec, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RetailSyncError';
    this.code = code;
    this.retriable = spec.retriable;
    this.httpStatus = spec.httpStatus;
    this.grpcStatus = spec.grpcStatus;
    this.details = options?.details;
  }

  toJSON(): { code: string; message: string; retriable: boolean; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, retriable: this.retriable, ...(this.details ? { details: this.details } : {}) };
  }
}

export interface ErrorCatalogue<Code extends string> {
  readonly specs: Readonly<Record<Code, ErrorSpec>>;
  /** Builds the error for a code; the message says what happened in this instance. */
  create(code: Code, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }): RetailSyncError;
  /** True when `error` carries this catalogue's `code` (works across realms and after JSON round trips). */
  is(error: unknown, code: Code): boolean;
}

/** One factory per package; the codes are the package's public contract. */
export function defineErrors<Code extends string>(specs: Record<Code, ErrorSpec>): ErrorCatalogue<Code> {
  for (const code of Object.keys(specs)) {
    if (!/^RS_ERR_[A-Z0-9_]+$/.test(code)) throw new Error(`error code ${code} must look like RS_ERR_UPPER_SNAKE`);
  }
  return {
    specs,
    create(code, message, options) {
      return new RetailSyncError(code, specs[code], message, options);
    },
    is(error, code) {
      return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
    },
  };
}

/** The code of any error-like value, or undefined. */
export function errorCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** Codes shared by every service. */
export const commonErrors = defineErrors({
  RS_ERR_CONFIG: {
    description: 'Thrown at start when an environment key is missing or invalid; the message names the key.',
    retriable: false,
    httpStatus: 500,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
  },
  RS_ERR_INVALID_EVENT: {
    description: 'Thrown when a sale or its envelope fails validation; details list each field and rule.',
    retriable: false,
    httpStatus: 400,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
  },
  RS_ERR_STORE_MISMATCH: {
    description: "Thrown when an event carries another store's id than the store that sent it.",
    retriable: false,
    httpStatus: 403,
    grpcStatus: GrpcStatus.PERMISSION_DENIED,
  },
  RS_ERR_UNKNOWN_STORE: {
    description: 'Thrown when a store id is not in the catalog, so timezone and region cannot be known.',
    retriable: false,
    httpStatus: 422,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
  },
  RS_ERR_UNKNOWN_PRODUCT: {
    description: 'Thrown when a sale line names a SKU the product catalog does not have.',
    retriable: false,
    httpStatus: 422,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
  },
  RS_ERR_CURRENCY_MISMATCH: {
    description: "Thrown when a sale's currency is not its store's currency (the catalog's), so its amounts cannot be summed with the store's other sales.",
    retriable: false,
    httpStatus: 422,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
  },
  RS_ERR_MIGRATION_DRIFT: {
    description: 'Thrown at start when a migration file that was already applied has been edited (its checksum changed); add a new migration instead.',
    retriable: false,
    httpStatus: 500,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
  },
  RS_ERR_ADMIN_UNAUTHORIZED: {
    description: "Thrown when a request to central's admin API or the DAG runner's API lacks RS_ADMIN_TOKEN (Authorization: Bearer, or Basic with the token as password) while that token is set; /healthz, /readyz and /metrics need none.",
    retriable: false,
    httpStatus: 401,
    grpcStatus: GrpcStatus.UNAUTHENTICATED,
  },
  RS_ERR_DEPENDENCY_UNAVAILABLE: {
    description: 'Thrown when a backing system (queue, order store, warehouse) cannot be reached or timed out.',
    retriable: true,
    httpStatus: 503,
    grpcStatus: GrpcStatus.UNAVAILABLE,
  },
});

export type CommonErrorCode = keyof typeof commonErrors.specs;
