/**
 * Prometheus metrics for every process (prom-client). Each process — or each store when several run in
 * one host process — has a registry of its own, never prom-client's global one: central and the DAG
 * runner compose in one process in the embedded profile and must not collide on a name.
 *
 * Telemetry is typed (STYLE.md 7): metrics are created only from the specs in catalogue.ts, so their
 * label sets are fixed and documented; each component wraps them in one telemetry helper that writes
 * the log line and updates the metric in the same call (see central/src/ingest/ingest-telemetry.ts).
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../log/index.ts';
import type { MetricSpec } from './catalogue.ts';

export { METRICS, metricsTable, type MetricName, type MetricService, type MetricSpec, type MetricType } from './catalogue.ts';
export type { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricsRegistryOptions {
  /** Also export the process metrics (CPU, memory, event-loop lag, GC). Once per process. @default true */
  processMetrics?: boolean;
}

export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** The registry's counter for `spec`, created on first use: two components may count into one metric. */
export function counterFrom<L extends string>(registry: Registry, spec: MetricSpec<L, 'counter'>): Counter<L> {
  const existing = registry.getSingleMetric(spec.name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name: spec.name, help: spec.help, labelNames: spec.labels, registers: [registry] });
}

/** The registry's histogram for `spec`, created on first use. */
export function histogramFrom<L extends string>(registry: Registry, spec: MetricSpec<L, 'histogram'>): Histogram<L> {
  const existing = registry.getSingleMetric(spec.name);
  if (existing) return existing as Histogram<L>;
  return new Histogram({ name: spec.name, help: spec.help, labelNames: spec.labels, buckets: spec.buckets ? [...spec.buckets] : undefined, registers: [registry] });
}

/**
 * A gauge read at scrape time: `read` sets its values from the source of truth (buffer stats, queue
 * counts…). A failing read keeps the last values and logs a warning (degraded, not down): the scrape
 * itself still answers.
 */
export function gaugeFrom<L extends string>(registry: Registry, spec: MetricSpec<L, 'gauge'>, read: (gauge: Gauge<L>) => void | Promise<void>, logger: Logger): Gauge<L> {
  return new Gauge({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labels,
    registers: [registry],
    async collect() {
      try {
        await read(this);
      } catch (error) {
        logger.warn({ err: error, metric: spec.name }, 'metric not refreshed: its source did not answer');
      }
    },
  });
}

/** Sets a one-hot state gauge: 1 for `current`, 0 for every other known state. */
export function setState<L extends string>(gauge: Gauge<L>, labels: Record<Exclude<L, 'state'>, string>, states: readonly string[], current: string): void {
  for (const state of new Set([...states, current])) gauge.set({ ...labels, state } as Partial<Record<L, string>>, state === current ? 1 : 0);
}

/** GET /metrics in the Prometheus text format, for any of our Fastify servers. */
export function metricsRoute(app: FastifyInstance, registry: Registry, path = '/metrics'): void {
  app.get(path, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
}
