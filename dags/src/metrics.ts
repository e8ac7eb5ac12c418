/**
 * The DAG runner's Prometheus metrics, on a registry of its own (GET /metrics on the runner's HTTP), so
 * several runners, or central and a runner composed in one process, never collide on a metric name.
 * Names and label sets come from libs' metrics catalogue; no store or date label (unbounded over time).
 *   retail_sync_reconcile_mismatches{kind}     read from reconcile_results at scrape time, so every
 *                                              replica reports the same and a re-check that clears a day
 *                                              clears it here.
 *   retail_sync_dag_partition_runs_total{job,status} and …_run_duration_seconds{job,status}: partition
 *                                              runs this process finished (the runner logs each one).
 */
import type { Logger } from '@retail-sync/libs/log';
import { counterFrom, createMetricsRegistry, gaugeFrom, histogramFrom, METRICS, type Registry } from '@retail-sync/libs/metrics';
import type { PartitionRun } from './engine/runner.ts';
import type { DagWarehouse } from './warehouse/dag-warehouse.ts';

export interface DagsMetrics {
  registry: Registry;
  /** Counts a finished partition run and observes its duration. */
  partitionRunFinished(run: Pick<PartitionRun, 'job_id' | 'status'>, durationSeconds: number): void;
}

export function createDagsMetrics(warehouse: Pick<DagWarehouse, 'reconcileProblemTotals'>, logger: Logger): DagsMetrics {
  const registry = createMetricsRegistry();
  gaugeFrom(
    registry,
    METRICS.reconcileMismatches,
    async (gauge) => {
      const totals = await warehouse.reconcileProblemTotals();
      gauge.set({ kind: 'mismatched' }, totals.mismatched);
      gauge.set({ kind: 'seq_gaps' }, totals.seq_gaps);
    },
    logger,
  );
  const runs = counterFrom(registry, METRICS.dagPartitionRuns);
  const durations = histogramFrom(registry, METRICS.dagPartitionRunDuration);
  return {
    registry,
    partitionRunFinished(run, durationSeconds) {
      runs.inc({ job: run.job_id, status: run.status });
      durations.observe({ job: run.job_id, status: run.status }, durationSeconds);
    },
  };
}
