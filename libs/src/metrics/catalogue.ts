/**
 * Every Prometheus metric retail-sync exports, in one table: name, type, fixed label names, meaning,
 * and the service that serves it. Components create their metrics from these specs only (see
 * index.ts), so a label set cannot drift from what is documented here, README's "Operations" table is
 * generated from this list, and the metrics test scrapes each service for each name.
 *
 * Labels are small closed sets (an outcome, a state, a job id) plus `store_id` on a store's own
 * metrics (one value per store process, bounded by the fleet). Never a date, event id or customer.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type MetricService = 'store' | 'central' | 'dags';

export interface MetricSpec<L extends string = string, T extends MetricType = MetricType> {
  name: `retail_sync_${string}`;
  type: T;
  labels: readonly L[];
  help: string;
  service: MetricService;
  /** Histogram buckets in seconds. */
  buckets?: readonly number[];
}

function spec<L extends string, T extends MetricType>(metric: MetricSpec<L, T>): MetricSpec<L, T> {
  return metric;
}

/** Request and job latencies: 1 ms … 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** DAG partition runs: 50 ms … 10 min. */
const RUN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600] as const;

export const METRICS = {
  // ── store (GET /metrics on the intake port) ──────────────────────────────────────────────────
  storeIntakeRequests: spec({
    name: 'retail_sync_store_intake_requests_total',
    type: 'counter',
    labels: ['store_id', 'route', 'status'],
    help: 'HTTP requests the intake answered, by route and status code (202 taken, 400 all rejected, 413 too large, 503 buffer full or failed, or the store under pressure).',
    service: 'store',
  }),
  storeIntakeSales: spec({
    name: 'retail_sync_store_intake_sales_total',
    type: 'counter',
    labels: ['store_id', 'result'],
    help: 'Sales the intake answered, by result: accepted (appended and fsynced), duplicate (a POS retry), rejected (invalid, names the field).',
    service: 'store',
  }),
  storeIntakeDuration: spec({
    name: 'retail_sync_store_intake_request_duration_seconds',
    type: 'histogram',
    labels: ['store_id', 'route'],
    help: 'Intake request latency, receipt to answer; for POST /v1/sales it includes the group-commit fsync.',
    service: 'store',
    buckets: LATENCY_BUCKETS,
  }),
  storeBufferBytes: spec({
    name: 'retail_sync_store_buffer_bytes',
    type: 'gauge',
    labels: ['store_id'],
    help: 'Bytes of buffer segments on disk (acked segments are deleted; compare with RS_BUFFER_MAX_BYTES).',
    service: 'store',
  }),
  storeBufferRecords: spec({
    name: 'retail_sync_store_buffer_records',
    type: 'gauge',
    labels: ['store_id'],
    help: 'Events appended and not yet acked by central.',
    service: 'store',
  }),
  storeBufferOldestAge: spec({
    name: 'retail_sync_store_buffer_oldest_unacked_age_seconds',
    type: 'gauge',
    labels: ['store_id'],
    help: 'Age of the oldest event central has not acked, 0 when all are acked: the lag in time. Read from the buffer index (one entry per 64 KiB), so it may overstate by up to one index step.',
    service: 'store',
  }),
  storeSeq: spec({
    name: 'retail_sync_store_seq',
    type: 'gauge',
    labels: ['store_id', 'kind'],
    help: 'The store log position: kind=last (highest durable seq, the high-water) and kind=acked (highest seq central confirmed).',
    service: 'store',
  }),
  storeShipperLag: spec({
    name: 'retail_sync_store_shipper_lag_events',
    type: 'gauge',
    labels: ['store_id'],
    help: 'Shipper lag in events: last seq − acked seq.',
    service: 'store',
  }),
  storeShipperState: spec({
    name: 'retail_sync_store_shipper_state',
    type: 'gauge',
    labels: ['store_id', 'state'],
    help: 'The shipper state (1 for the current one): idle, connecting, shipping, backing_off (central unreachable, every endpoint failing or its circuit open), unauthenticated, halted, stopped.',
    service: 'store',
  }),
  storeShipperBreakerState: spec({
    name: 'retail_sync_store_shipper_breaker_state',
    type: 'gauge',
    labels: ['store_id', 'endpoint', 'state'],
    help: "Each central gRPC endpoint's circuit breaker (1 for its current state): closed (usable), open (skipped after RS_SHIP_BREAKER_FAILURES failed connects or health checks in a row), half-open (one trial allowed after RS_SHIP_BREAKER_HALF_OPEN_MS). One series per configured endpoint; none over Kafka.",
    service: 'store',
  }),
  storeBufferState: spec({
    name: 'retail_sync_store_buffer_state',
    type: 'gauge',
    labels: ['store_id', 'state'],
    help: 'The buffer state (1 for the current one): open, failed (fail-stopped on a disk error, intake answers 503), closed.',
    service: 'store',
  }),
  // ── central (GET /metrics on the admin port) ─────────────────────────────────────────────────
  ingestEvents: spec({
    name: 'retail_sync_ingest_events_total',
    type: 'counter',
    labels: ['outcome'],
    help: 'Events central acked to stores, by outcome: accepted (queued), duplicate (already queued or recently done), rejected (dead-lettered at ingest).',
    service: 'central',
  }),
  ingestBatchDuration: spec({
    name: 'retail_sync_ingest_batch_duration_seconds',
    type: 'histogram',
    labels: [],
    help: 'Time from a batch arriving at the ingest core to its acks: envelope check, durable enqueue, dead letters, store progress.',
    service: 'central',
    buckets: LATENCY_BUCKETS,
  }),
  queueJobs: spec({
    name: 'retail_sync_queue_jobs',
    type: 'gauge',
    labels: ['state'],
    help: 'Jobs in the queue by state (waiting, active, delayed, failed), read from the queue at scrape time.',
    service: 'central',
  }),
  workerJobs: spec({
    name: 'retail_sync_worker_jobs_total',
    type: 'counter',
    labels: ['outcome'],
    help: 'Jobs this worker finished, by outcome: stored, error (the attempt threw; the queue retries it or gives up), dead_lettered (given up and put in the dead-letter store).',
    service: 'central',
  }),
  workerJobDuration: spec({
    name: 'retail_sync_worker_job_duration_seconds',
    type: 'histogram',
    labels: ['outcome'],
    help: 'Latency of one job attempt (validate, enrich, order-store write) by outcome: stored or error.',
    service: 'central',
    buckets: LATENCY_BUCKETS,
  }),
  deadLettersWritten: spec({
    name: 'retail_sync_dead_letters_written_total',
    type: 'counter',
    labels: ['stage', 'reason_code'],
    help: 'Dead letters this process wrote, by stage (ingest, worker) and reason code (RS_ERR_…).',
    service: 'central',
  }),
  deadLetters: spec({
    name: 'retail_sync_dead_letters',
    type: 'gauge',
    labels: ['stage'],
    help: 'Dead letters waiting for an operator (not replayed), by stage, read from the dead-letter store at scrape time.',
    service: 'central',
  }),
  // ── DAG runner (GET /metrics on the runner port) ─────────────────────────────────────────────
  dagPartitionRuns: spec({
    name: 'retail_sync_dag_partition_runs_total',
    type: 'counter',
    labels: ['job', 'status'],
    help: 'Job partition runs this runner finished, by job and status (succeeded, failed, skipped: leased elsewhere).',
    service: 'dags',
  }),
  dagPartitionRunDuration: spec({
    name: 'retail_sync_dag_partition_run_duration_seconds',
    type: 'histogram',
    labels: ['job', 'status'],
    help: 'Duration of one job partition run (all its tasks, retries included), by job and status.',
    service: 'dags',
    buckets: RUN_BUCKETS,
  }),
  reconcileMismatches: spec({
    name: 'retail_sync_reconcile_mismatches',
    type: 'gauge',
    labels: ['kind'],
    help: 'Reconciliation problems over every reconciled business day: kind=mismatched store-days (order store and warehouse counts or sums differ), kind=seq_gaps missing seqs.',
    service: 'dags',
  }),
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS]['name'];

/** The catalogue as a markdown table (README "Operations"). */
export function metricsTable(): string {
  const rows = Object.values(METRICS).map((metric) => {
    const labels = metric.labels.length === 0 ? '—' : metric.labels.map((label) => `\`${label}\``).join(', ');
    return `| \`${metric.name}\` | ${metric.type} | ${labels} | ${metric.service} | ${metric.help} |`;
  });
  return ['| metric | type | labels | served by | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}
