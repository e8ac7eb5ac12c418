/**
 * What the dashboard shows, built from what central knows: store progress (last seen, the seq
 * high-water the store reported) against the order store (lag = high-water − highest stored seq),
 * queue counts, dead letters, the DAG runner's recent runs and one business day's reconciliation.
 * A store's own buffer depth and circuit state live in the store (its /metrics and /v1/status).
 *
 * Each part is read on its own: one that fails (a dependency down) is reported in the snapshot as an
 * error string, and the others still arrive.
 */
import type { DeadLetter, DeadLetterPort, OrderStorePort, QueueCounts, QueuePort } from '@retail-sync/libs/ports';
import { DagsClient, errorMessage, type DagRunSummary } from './dags-client.ts';

/** Seqs one snapshot scans per store for the highest stored one; a store further behind shows the window's gap. */
const LAG_SCAN_WINDOW = 50_000;
const DEAD_LETTER_ROWS = 200;
const DAG_RUN_ROWS = 15;

export interface StoreRow {
  store_id: string;
  last_seen_at: string;
  high_water_seq: number;
  /** Highest seq of the store in the order store (0 when none). */
  stored_seq: number;
  /** Events the store has assigned above the highest stored one: in flight, queued, or dead-lettered. */
  lag: number;
}

export type Part<T> = T | { error: string };

export interface DashboardSnapshot {
  at: string;
  stores: Part<StoreRow[]>;
  queue: Part<QueueCounts>;
  dead_letters: Part<{ waiting: number; letters: DeadLetter[] }>;
  dag_runs: Part<DagRunSummary[]>;
  dags_url: string;
  /** Where Bull Board is mounted, when the queue is BullMQ. */
  bull_board: string | null;
}

export interface ReconcileDay {
  date: string;
  summary?: { stores: number; match: number; mismatched: number; seq_gaps: number };
  stores?: Array<Record<string, unknown>>;
  error?: string;
}

export interface SnapshotDependencies {
  queue: Pick<QueuePort, 'counts'>;
  orderStore: Pick<OrderStorePort, 'storeProgress' | 'seqsForStore'>;
  deadLetters: Pick<DeadLetterPort, 'list'>;
  dags: DagsClient;
  bullBoardPath: string | null;
}

export class SnapshotSource {
  /** Highest stored seq seen per store: the next scan starts above it, so a snapshot stays cheap. */
  private readonly storedSeq = new Map<string, number>();

  constructor(private readonly deps: SnapshotDependencies) {}

  async snapshot(now = new Date()): Promise<DashboardSnapshot> {
    const [stores, queue, deadLetters, dagRuns] = await Promise.all([
      part(() => this.stores()),
      part(() => this.deps.queue.counts()),
      part(async () => {
        const letters = await this.deps.deadLetters.list({ limit: DEAD_LETTER_ROWS });
        letters.sort((a, b) => Number(a.replayed_at !== null) - Number(b.replayed_at !== null) || b.created_at.localeCompare(a.created_at));
        return { waiting: letters.filter((letter) => letter.replayed_at === null).length, letters };
      }),
      this.deps.dags.recentRuns(DAG_RUN_ROWS).then((answer) => ('runs' in answer ? answer.runs : answer)),
    ]);
    return { at: now.toISOString(), stores, queue, dead_letters: deadLetters, dag_runs: dagRuns, dags_url: this.deps.dags.baseUrl, bull_board: this.deps.bullBoardPath };
  }

  /** The stored per-store results of one business day (the runner's reconcile_daily). */
  async reconcile(date: string): Promise<ReconcileDay> {
    const answer = await this.deps.dags.request('GET', `/v1/dags/reconcile?date=${encodeURIComponent(date)}`);
    if (answer.status !== 200) return { date, error: errorMessage(answer) };
    const body = answer.body as { summary: ReconcileDay['summary']; stores: Array<Record<string, unknown>> };
    return { date, summary: body.summary, stores: body.stores };
  }

  private async stores(): Promise<StoreRow[]> {
    const progress = await this.deps.orderStore.storeProgress();
    const rows = await Promise.all(
      progress.map(async (store): Promise<StoreRow> => {
        const known = Math.min(this.storedSeq.get(store.store_id) ?? 0, store.high_water_seq);
        const from = Math.max(known + 1, store.high_water_seq - LAG_SCAN_WINDOW + 1);
        const stored = from <= store.high_water_seq ? await this.deps.orderStore.seqsForStore(store.store_id, from, store.high_water_seq) : [];
        const storedSeq = stored.reduce((max, entry) => Math.max(max, entry.seq), known);
        this.storedSeq.set(store.store_id, storedSeq);
        return { ...store, stored_seq: storedSeq, lag: store.high_water_seq - storedSeq };
      }),
    );
    return rows.sort((a, b) => a.store_id.localeCompare(b.store_id));
  }
}

async function part<T>(read: () => Promise<T>): Promise<Part<T>> {
  try {
    return await read();
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
