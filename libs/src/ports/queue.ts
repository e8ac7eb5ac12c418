/**
 * Queue port: central ingest enqueues, workers consume. Production: BullMQ on Redis. Embedded: a
 * durable local table. Delivery is at-least-once; the order-store write absorbs what slips through.
 */

/** One event on its way from ingest to a worker. The sale stays raw: the worker validates it in full. */
export interface QueuedEvent {
  event_id: string;
  store_id: string;
  seq: number;
  received_at: string;
  trace_id: string;
  /** The sale exactly as the store shipped it (JSON text), so a dead letter keeps the raw payload. */
  sale_json: string;
}

/** `accepted`: newly queued. `duplicate`: a job with this event_id is queued, running or recently done. */
export type EnqueueOutcome = 'accepted' | 'duplicate';

export interface ConsumeOptions {
  /** Jobs processed at once by this consumer. */
  concurrency: number;
  /** Total tries of one job before it is given up (≥ 1). */
  attempts: number;
  /** First retry delay; doubles each attempt (exponential backoff). */
  backoffMs: number;
}

/** What happens to a job the processor could not finish. */
export interface FailedJob {
  event: QueuedEvent;
  attemptsMade: number;
  error: unknown;
}

/**
 * Resolves when the event is durably written (the job then completes). Throwing a retriable error
 * schedules a retry with backoff; a non-retriable error (by its `retriable` flag) or the last attempt
 * hands the job to `onGiveUp`, which must put it in the dead-letter store before resolving.
 */
export type EventProcessor = (event: QueuedEvent, attempt: number) => Promise<void>;

export interface QueueConsumer {
  /** Stops taking jobs, waits for running ones to finish, then resolves. */
  close(): Promise<void>;
}

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface QueuePort {
  /**
   * Enqueues with job id = event_id. Resolves only once every job is durable in the queue's store;
   * outcomes are in the order of `events`. Throws a retriable RS_ERR_DEPENDENCY_UNAVAILABLE when the
   * queue cannot be reached: the caller must then not ack.
   */
  enqueue(events: QueuedEvent[]): Promise<EnqueueOutcome[]>;
  /** Starts a consumer. A crashed consumer's jobs are picked up again (stalled-job recovery). */
  consume(processor: EventProcessor, onGiveUp: (job: FailedJob) => Promise<void>, options: ConsumeOptions): QueueConsumer;
  /** Current depth, for readiness, the demo's drain wait and metrics. */
  counts(): Promise<QueueCounts>;
  close(): Promise<void>;
}
