/**
 * One store's Prometheus metrics (GET /metrics on its intake port). The buffer and shipper gauges are
 * read from `status()` and the shipper's circuit breakers at scrape time — their own state is the truth,
 * nothing is mirrored — and intake requests are counted by a Fastify hook. Each store has a registry of its own, so several
 * stores in one host process (multi-bin.ts) serve their own /metrics; every series carries `store_id`.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '@retail-sync/libs/log';
import { counterFrom, createMetricsRegistry, gaugeFrom, histogramFrom, METRICS, setState, type Registry } from '@retail-sync/libs/metrics';
import type { SaleIntake, SaleResult, StoreStatus } from './intake/index.ts';
import type { BreakerState, ShipperState } from './shipper/index.ts';

const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half-open'];
const SHIPPER_STATES: readonly ShipperState[] = ['idle', 'connecting', 'shipping', 'backing_off', 'unauthenticated', 'halted', 'stopped'];
const BUFFER_STATES: readonly StoreStatus['buffer_state'][] = ['open', 'failed', 'closed'];
const SALE_RESULTS: readonly SaleResult['status'][] = ['accepted', 'duplicate', 'rejected'];

export interface StoreMetricsOptions {
  storeId: string;
  status: () => StoreStatus;
  /** The shipper's circuit breaker per central endpoint (none over Kafka). @default none */
  breakerStates?: () => ReadonlyArray<{ endpoint: string; state: BreakerState }>;
  logger: Logger;
  /** Also export process metrics (CPU, memory, event loop): once per process. @default true */
  processMetrics?: boolean;
  now?: () => number;
}

export interface StoreMetrics {
  registry: Registry;
  /** Counts the results of every `accept` call of this intake (wraps the method). */
  countResultsOf(intake: SaleIntake): void;
  /** Counts and times every intake request; call before the server listens. */
  instrument(app: FastifyInstance): void;
}

export function createStoreMetrics(options: StoreMetricsOptions): StoreMetrics {
  const { storeId, status, logger } = options;
  const now = options.now ?? Date.now;
  const registry = createMetricsRegistry({ processMetrics: options.processMetrics ?? true });
  const store = { store_id: storeId };

  gaugeFrom(registry, METRICS.storeBufferBytes, (gauge) => gauge.set(store, status().buffered_bytes), logger);
  gaugeFrom(registry, METRICS.storeBufferRecords, (gauge) => gauge.set(store, status().buffered_records), logger);
  gaugeFrom(
    registry,
    METRICS.storeBufferOldestAge,
    (gauge) => {
      const oldest = status().oldest_unacked_at;
      gauge.set(store, oldest === null ? 0 : Math.max(0, (now() - Date.parse(oldest)) / 1000));
    },
    logger,
  );
  gaugeFrom(
    registry,
    METRICS.storeSeq,
    (gauge) => {
      const current = status();
      gauge.set({ ...store, kind: 'last' }, current.last_seq);
      gauge.set({ ...store, kind: 'acked' }, current.acked_seq);
    },
    logger,
  );
  gaugeFrom(
    registry,
    METRICS.storeShipperLag,
    (gauge) => {
      const current = status();
      gauge.set(store, Math.max(0, current.last_seq - current.acked_seq));
    },
    logger,
  );
  gaugeFrom(registry, METRICS.storeShipperState, (gauge) => setState(gauge, store, SHIPPER_STATES, status().shipper.state), logger);
  gaugeFrom(
    registry,
    METRICS.storeShipperBreakerState,
    (gauge) => {
      for (const { endpoint, state } of options.breakerStates?.() ?? []) setState(gauge, { ...store, endpoint }, BREAKER_STATES, state);
    },
    logger,
  );
  gaugeFrom(registry, METRICS.storeBufferState, (gauge) => setState(gauge, store, BUFFER_STATES, status().buffer_state), logger);

  const sales = counterFrom(registry, METRICS.storeIntakeSales);
  for (const result of SALE_RESULTS) sales.inc({ ...store, result }, 0);
  const requests = counterFrom(registry, METRICS.storeIntakeRequests);
  const latency = histogramFrom(registry, METRICS.storeIntakeDuration);

  return {
    registry,
    countResultsOf(intake) {
      const accept = intake.accept.bind(intake);
      intake.accept = async (rawSales) => {
        const results = await accept(rawSales);
        // One inc per result kind, not per sale: a label lookup per sale showed in the intake profile.
        const counts = new Map<string, number>();
        for (const result of results) counts.set(result.status, (counts.get(result.status) ?? 0) + 1);
        for (const [result, count] of counts) sales.inc({ ...store, result }, count);
        return results;
      };
    },
    instrument(app) {
      app.addHook('onResponse', async (request, reply) => {
        const route = request.routeOptions.url ?? 'unmatched';
        requests.inc({ ...store, route, status: String(reply.statusCode) });
        latency.observe({ ...store, route }, reply.elapsedTime / 1000);
      });
    },
  };
}
