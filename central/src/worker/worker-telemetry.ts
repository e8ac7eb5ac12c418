/**
 * The worker's telemetry: one call per job attempt and per dead letter writes the log line and updates
 * the metrics together. Levels: warn for a dead letter (the sale waits for an operator), debug for a
 * sale stored after a retry.
 */
import { withTrace, type Logger } from '@retail-sync/libs/log';
import { counterFrom, createMetricsRegistry, histogramFrom, METRICS, type Registry } from '@retail-sync/libs/metrics';
import type { QueuedEvent } from '@retail-sync/libs/ports';

export type AttemptOutcome = 'stored' | 'error';

export interface WorkerTelemetry {
  attemptFinished(event: QueuedEvent, attempt: number, outcome: AttemptOutcome, durationSeconds: number): void;
  deadLettered(event: QueuedEvent, letter: { reasonCode: string; reason: string; attempts: number }): void;
}

/** `registry` omitted: a private one (tests) — the log lines are written all the same. */
export function createWorkerTelemetry(logger: Logger, registry: Registry = createMetricsRegistry({ processMetrics: false })): WorkerTelemetry {
  const jobs = counterFrom(registry, METRICS.workerJobs);
  const duration = histogramFrom(registry, METRICS.workerJobDuration);
  const lettersWritten = counterFrom(registry, METRICS.deadLettersWritten);
  for (const outcome of ['stored', 'error', 'dead_lettered']) jobs.inc({ outcome }, 0);
  // Children bound once: a call per job then skips prom-client's label validation and hashing.
  const perOutcome = {
    stored: { jobs: jobs.labels({ outcome: 'stored' }), duration: duration.labels({ outcome: 'stored' }) },
    error: { jobs: jobs.labels({ outcome: 'error' }), duration: duration.labels({ outcome: 'error' }) },
  } satisfies Record<AttemptOutcome, unknown>;
  return {
    attemptFinished(event, attempt, outcome, durationSeconds) {
      perOutcome[outcome].jobs.inc();
      perOutcome[outcome].duration.observe(durationSeconds);
      if (outcome === 'stored' && attempt > 1) withTrace(logger, event.trace_id, { event_id: event.event_id }).debug({ attempt }, 'sale stored after retry');
    },
    deadLettered(event, letter) {
      jobs.inc({ outcome: 'dead_lettered' });
      lettersWritten.inc({ stage: 'worker', reason_code: letter.reasonCode });
      withTrace(logger, event.trace_id, { event_id: event.event_id, store_id: event.store_id, seq: event.seq }).warn(
        { reason_code: letter.reasonCode, reason: letter.reason, attempts: letter.attempts },
        'event dead-lettered',
      );
    },
  };
}
