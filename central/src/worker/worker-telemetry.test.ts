import { createLogger } from '@retail-sync/libs/log';
import { createMetricsRegistry } from '@retail-sync/libs/metrics';
import { describe, expect, it } from 'vitest';
import { queuedEventFixture } from '../queue/queue.contract.ts';
import { createWorkerTelemetry } from './worker-telemetry.ts';

const logger = createLogger({ service: 'test', level: 'silent' });

describe('worker telemetry', () => {
  it('counts each attempt and observes its duration under its own outcome', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const telemetry = createWorkerTelemetry(logger, registry);
    const event = queuedEventFixture();
    telemetry.attemptFinished(event, 1, 'stored', 0.02);
    telemetry.attemptFinished(event, 2, 'stored', 0.03);
    telemetry.attemptFinished(event, 1, 'error', 0.5);
    const metrics = await registry.getMetricsAsJSON();
    const jobs = metrics.find((metric) => metric.name === 'retail_sync_worker_jobs_total')!.values;
    expect(Object.fromEntries(jobs.map((value) => [value.labels.outcome, value.value]))).toEqual({ stored: 2, error: 1, dead_lettered: 0 });
    // Histogram values carry the series name (_sum, _count, _bucket) beside the labels.
    const duration = metrics.find((metric) => metric.name === 'retail_sync_worker_job_duration_seconds')!.values as Array<{ metricName?: string; labels: Record<string, unknown>; value: number }>;
    const sumOf = (outcome: string) => duration.find((value) => value.metricName === 'retail_sync_worker_job_duration_seconds_sum' && value.labels.outcome === outcome)!.value;
    const countOf = (outcome: string) => duration.find((value) => value.metricName === 'retail_sync_worker_job_duration_seconds_count' && value.labels.outcome === outcome)!.value;
    expect([countOf('stored'), sumOf('stored')]).toEqual([2, expect.closeTo(0.05, 9)]);
    expect([countOf('error'), sumOf('error')]).toEqual([1, 0.5]);
  });
});
