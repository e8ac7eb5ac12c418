/**
 * The DAG runner's Prometheus metrics, on a registry of its own (GET /metrics on the runner's HTTP), so
 * several runners, or central and a runner composed in one process, never collide on a metric name.
 * Label sets are fixed and small: no store or date label (unbounded over time).
 *   retail_sync_reconcile_mismatches{kind}  kind="mismatched": store-days whose order-store and warehouse
 *                                           counts or sums differ; kind="seq_gaps": seqs missing; over every
 *                                           day in reconcile_results, read from the table at scrape time,
 *                                           so every replica reports the same and a re-check that clears a
 *                                           day clears it here.
 *   retail_sync_dag_partition_runs_total{job,status}  partition runs this process finished.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Logger } from '@retail-sync/libs/log';
import type { DagWarehouse } from './warehouse/dag-warehouse.ts';

export interface DagsMetrics {
  registry: Registry;
  partitionRuns: Counter<'job' | 'status'>;
}

export function createDagsMetrics(warehouse: Pick<DagWarehouse, 'reconcileProblemTotals'>, logger: Logger): DagsMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'retail_sync_reconcile_mismatches',
    help: 'Reconciliation problems over every reconciled business day: kind=mismatched store-days (counts or sums differ), kind=seq_gaps missing seqs.',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      try {
        const totals = await warehouse.reconcileProblemTotals();
        this.set({ kind: 'mismatched' }, totals.mismatched);
        this.set({ kind: 'seq_gaps' }, totals.seq_gaps);
      } catch (error) {
        logger.warn({ err: error }, 'reconcile metric not refreshed: warehouse unavailable');
      }
    },
  });
  const partitionRuns = new Counter({
    name: 'retail_sync_dag_partition_runs_total',
    help: 'Job partition runs finished by this runner, by job and status (succeeded, failed, skipped: leased elsewhere).',
    labelNames: ['job', 'status'] as const,
    registers: [registry],
  });
  return { registry, partitionRuns };
}
