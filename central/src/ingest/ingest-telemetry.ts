/**
 * The ingest core's telemetry: one call per acked batch writes its log lines and counts its events, so
 * the log and the metrics can never tell different stories. Levels: warn when events were rejected
 * (dead-lettered, degraded data), debug per batch.
 */
import type { Logger } from '@retail-sync/libs/log';
import { counterFrom, createMetricsRegistry, histogramFrom, METRICS, type Registry } from '@retail-sync/libs/metrics';

export interface AckedBatch {
  storeId: string;
  events: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  /** Reason codes of the rejected events (dead-lettered at stage 'ingest'). */
  rejectedReasonCodes: readonly string[];
  highWaterSeq: number;
  durationSeconds: number;
}

export interface IngestTelemetry {
  batchAcked(batch: AckedBatch): void;
}

/** `registry` omitted: a private one (tests, tools) — the log lines are written all the same. */
export function createIngestTelemetry(logger: Logger, registry: Registry = createMetricsRegistry({ processMetrics: false })): IngestTelemetry {
  const events = counterFrom(registry, METRICS.ingestEvents);
  const duration = histogramFrom(registry, METRICS.ingestBatchDuration);
  const lettersWritten = counterFrom(registry, METRICS.deadLettersWritten);
  for (const outcome of ['accepted', 'duplicate', 'rejected']) events.inc({ outcome }, 0);
  return {
    batchAcked(batch) {
      events.inc({ outcome: 'accepted' }, batch.accepted);
      events.inc({ outcome: 'duplicate' }, batch.duplicate);
      events.inc({ outcome: 'rejected' }, batch.rejected);
      duration.observe(batch.durationSeconds);
      for (const reasonCode of batch.rejectedReasonCodes) lettersWritten.inc({ stage: 'ingest', reason_code: reasonCode });
      if (batch.rejected > 0) {
        logger.warn({ store_id: batch.storeId, rejected: batch.rejected, reason_codes: [...new Set(batch.rejectedReasonCodes)] }, 'ingest rejected events');
      }
      logger.debug({ store_id: batch.storeId, events: batch.events, accepted: batch.accepted, high_water_seq: batch.highWaterSeq }, 'ingest batch acked');
    },
  };
}
