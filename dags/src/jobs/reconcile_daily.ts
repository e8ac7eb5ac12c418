/**
 * Job reconcile_daily: per store and business day, the order store against the warehouse facts, and the
 * store's acked seq range against what was stored. One row per store lands in reconcile_results (the
 * day replaced whole), which GET /v1/dags/reconcile?date=, the CLI's `reconcile --date` and the
 * retail_sync_reconcile_mismatches metric read.
 *   order_sales / order_total_minor          distinct sales of the day in the order store, total_minor summed
 *   warehouse_sales / warehouse_total_minor  the same from fact_sales_line
 *   seq_gaps                                 seqs lost before the order store, dated by seq-gaps.ts
 * Sums are UNSIGNED (a refund's total adds): the check is that every row arrived once, and a signed sum
 * would let a lost sale and a lost refund of equal value cancel out. A store-day is 'mismatch' when the
 * counts or the sums differ, else 'gap' when seqs are missing, else 'match'. Every store central knows
 * (its recorded high-water) gets a row, including one with no sales that day.
 * The job runs after sales_rollups in every scheduler tick that re-rolled a day (`after`), so a day's
 * facts and its check move together; a mismatch on a day still trading can be lag and clears then.
 */
import type { StoredSale } from '@retail-sync/libs/domain';
import type { DeadLetterPort, OrderStorePort } from '@retail-sync/libs/ports';
import { defineJob } from '../engine/job.ts';
import type { DagWarehouse, ReconcileResultRow, ReconcileStatus } from '../warehouse/dag-warehouse.ts';
import type { DagResources } from './resources.ts';
import { datedSeqGaps, type DatedGaps } from './seq-gaps.ts';

export interface ReconcileDayInput {
  businessDate: string;
  runId: string;
  orderStore: Pick<OrderStorePort, 'salesForDate' | 'seqsForStore' | 'storeProgress'>;
  deadLetters: Pick<DeadLetterPort, 'seqsForStore'>;
  warehouse: Pick<DagWarehouse, 'factTotalsForDate'>;
  now?: Date;
}

export async function reconcileDay(input: ReconcileDayInput): Promise<ReconcileResultRow[]> {
  const { businessDate } = input;
  const [sales, facts, progress] = await Promise.all([
    input.orderStore.salesForDate(businessDate),
    input.warehouse.factTotalsForDate(businessDate),
    input.orderStore.storeProgress(),
  ]);
  const salesByStore = groupBy(sales, (sale) => sale.store_id);
  const factsByStore = new Map(facts.map((row) => [row.store_id, row]));
  const highWater = new Map(progress.map((row) => [row.store_id, row.high_water_seq]));
  const storeIds = [...new Set([...highWater.keys(), ...salesByStore.keys(), ...factsByStore.keys()])].sort();
  const checkedAt = (input.now ?? new Date()).toISOString();

  const rows: ReconcileResultRow[] = [];
  for (const storeId of storeIds) {
    const acked = highWater.get(storeId) ?? 0;
    const daySales = dedupeByEventId(salesByStore.get(storeId) ?? []);
    const fact = factsByStore.get(storeId);
    const seqs = daySales.map((sale) => sale.seq);
    const gaps = await gapsOfDay(storeId, acked, seqs, input);
    const row: Omit<ReconcileResultRow, 'status'> = {
      business_date: businessDate,
      store_id: storeId,
      currency: daySales[0]?.currency ?? fact?.currency ?? '',
      acked_high_water: acked,
      first_seq: seqs.length > 0 ? Math.min(...seqs) : 0,
      last_seq: seqs.length > 0 ? Math.max(...seqs) : 0,
      order_sales: daySales.length,
      order_total_minor: daySales.reduce((sum, sale) => sum + sale.total_minor, 0),
      warehouse_sales: fact?.sales ?? 0,
      warehouse_total_minor: fact?.total_minor ?? 0,
      seq_gaps: gaps.count,
      gap_seqs: gaps.seqs.join(','),
      run_id: input.runId,
      checked_at: checkedAt,
    };
    rows.push({ ...row, status: statusOf(row) });
  }
  return rows;
}

function statusOf(row: Omit<ReconcileResultRow, 'status'>): ReconcileStatus {
  if (row.order_sales !== row.warehouse_sales || row.order_total_minor !== row.warehouse_total_minor) return 'mismatch';
  return row.seq_gaps > 0 ? 'gap' : 'match';
}

/** Seqs read per probe when looking for the stored neighbours of a day's seq range. */
const PROBE_SEQS = 1_000;
const NO_GAPS: DatedGaps = { count: 0, seqs: [] };

/**
 * The store's gaps dated to `businessDate` (plus undated ones), reading only the day's seq range widened
 * to its nearest stored neighbours (found by probing PROBE_SEQS at a time), not the store's whole log:
 * gaps between the day's last seq and the next stored one are the day's, gaps before its first seq
 * belong to the neighbour below (or to the day, when it holds the store's first stored seq).
 */
async function gapsOfDay(storeId: string, acked: number, daySeqs: readonly number[], input: ReconcileDayInput): Promise<DatedGaps> {
  if (acked <= 0) return NO_GAPS;
  const read = (from: number, to: number) => input.orderStore.seqsForStore(storeId, from, to);
  const lettered = await input.deadLetters.seqsForStore(storeId);
  const inRange = daySeqs.filter((seq) => seq >= 1 && seq <= acked);
  if (inRange.length === 0) {
    // Only undated gaps land on a day without stored seqs: the store must have nothing stored at all.
    if ((await read(Math.max(1, acked - PROBE_SEQS + 1), acked)).length > 0 || (await read(1, acked)).length > 0) return NO_GAPS;
    return datedSeqGaps(acked, [], lettered).undated;
  }
  const low = Math.min(...inRange);
  const high = Math.max(...inRange);
  let start = 1;
  for (let to = low - 1; to >= 1; to -= PROBE_SEQS) {
    const below = await read(Math.max(1, to - PROBE_SEQS + 1), to);
    if (below.length > 0) {
      start = Math.max(...below.map((row) => row.seq));
      break;
    }
  }
  let end = acked;
  for (let from = high + 1; from <= acked; from += PROBE_SEQS) {
    const above = await read(from, Math.min(acked, from + PROBE_SEQS - 1));
    if (above.length > 0) {
      end = Math.min(...above.map((row) => row.seq));
      break;
    }
  }
  const { byDate } = datedSeqGaps(end, await read(start, end), lettered, start);
  const businessDate = input.businessDate;
  return byDate.get(businessDate) ?? NO_GAPS;
}

/** The order store is keyed by event_id; a second copy would be the store's bug, not a second sale. */
function dedupeByEventId(sales: readonly StoredSale[]): StoredSale[] {
  return [...new Map(sales.map((sale) => [sale.event_id, sale])).values()];
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item)) ?? [];
    group.push(item);
    groups.set(key(item), group);
  }
  return groups;
}

export interface ReconcileDaySummary {
  date: string;
  stores: number;
  match: number;
  mismatched: number;
  seq_gaps: number;
}

export function summarizeReconcileDay(date: string, rows: readonly ReconcileResultRow[]): ReconcileDaySummary {
  return {
    date,
    stores: rows.length,
    match: rows.filter((row) => row.status === 'match').length,
    mismatched: rows.filter((row) => row.status === 'mismatch').length,
    seq_gaps: rows.reduce((sum, row) => sum + row.seq_gaps, 0),
  };
}

/** `store=… currency=… seqs=F-L acked_hw=H order_sales=… warehouse_sales=… order_total_minor=… warehouse_total_minor=… seq_gaps=G status=S`. */
export function formatReconcileStoreLine(row: ReconcileResultRow): string {
  const gapList = row.gap_seqs === '' ? '' : ` gap_seqs=${row.gap_seqs}`;
  return (
    `store=${row.store_id} currency=${row.currency || '-'} seqs=${row.first_seq}-${row.last_seq} acked_hw=${row.acked_high_water} ` +
    `order_sales=${row.order_sales} warehouse_sales=${row.warehouse_sales} order_total_minor=${row.order_total_minor} ` +
    `warehouse_total_minor=${row.warehouse_total_minor} seq_gaps=${row.seq_gaps} status=${row.status}${gapList}`
  );
}

/** Exactly: `reconcile-day: date=D stores=N match=N mismatched=M seq_gaps=G`. */
export function formatReconcileDayLine(summary: ReconcileDaySummary): string {
  return `reconcile-day: date=${summary.date} stores=${summary.stores} match=${summary.match} mismatched=${summary.mismatched} seq_gaps=${summary.seq_gaps}`;
}

export const reconcile_daily = defineJob<DagResources>({
  id: 'reconcile_daily',
  description: 'Per store and business day: order store vs warehouse facts (count, sum of total_minor) and seq gaps.',
  schedule: '*/15 * * * *',
  partition: 'business_date',
  after: 'sales_rollups',
  tasks: {
    reconcile_stores: {
      run: async ({ resources, partition, runId }) => {
        const rows = await reconcileDay({ businessDate: partition, runId, ...resources });
        return resources.warehouse.replaceReconcileResults(partition, rows);
      },
    },
  },
});
