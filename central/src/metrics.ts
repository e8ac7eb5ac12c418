/**
 * Central's Prometheus registry (served on GET /metrics of the admin API). Counters and histograms are
 * fed by the ingest and worker telemetry helpers; the queue depth and the dead letters waiting for an
 * operator are read from their stores at scrape time, so every replica reports the same truth.
 */
import type { Logger } from '@retail-sync/libs/log';
import { createMetricsRegistry, gaugeFrom, METRICS, type Registry } from '@retail-sync/libs/metrics';
import type { DeadLetterPort, DeadLetterStage, QueuePort } from '@retail-sync/libs/ports';

const STAGES: readonly DeadLetterStage[] = ['ingest', 'worker', 'kafka'];
/** Most letters one scrape counts: past it the gauge reads this cap (the dashboard lists them anyway). */
const DEAD_LETTER_SCAN_LIMIT = 10_000;

export interface CentralMetricsSources {
  queue: Pick<QueuePort, 'counts'>;
  deadLetters: Pick<DeadLetterPort, 'list'>;
  logger: Logger;
}

export function createCentralMetrics(sources: CentralMetricsSources): Registry {
  const registry = createMetricsRegistry();
  gaugeFrom(
    registry,
    METRICS.queueJobs,
    async (gauge) => {
      const counts = await sources.queue.counts();
      for (const [state, jobs] of Object.entries(counts)) gauge.set({ state }, jobs);
    },
    sources.logger,
  );
  gaugeFrom(
    registry,
    METRICS.deadLetters,
    async (gauge) => {
      const letters = await sources.deadLetters.list({ includeReplayed: false, limit: DEAD_LETTER_SCAN_LIMIT });
      for (const stage of STAGES) gauge.set({ stage }, letters.filter((letter) => letter.stage === stage).length);
    },
    sources.logger,
  );
  return registry;
}
