/**
 * Reconciliation: proves, per store, that every seq the store's log accepted (1..acked high-water) is
 * accounted for exactly once. Counts are computed from the data itself, never from counters:
 *   stored        distinct seqs in the order store
 *   warehouse     distinct seqs in the warehouse facts
 *   dead_lettered seqs only in the dead-letter store (unreplayed letters, not stored)
 *   missing       seqs in neither the order store nor the dead-letter store
 *   duplicated    surplus copies: a seq held by more than one event_id, or one receipt (terminal_id,
 *                 receipt_no, type) stored under more than one event_id, or a seq the facts hold more
 *                 often than the order store does. A surplus event counts once even when it breaks
 *                 several rules.
 * The demo prints formatReconcileLine(totals) as its last line.
 */
import type { DeadLetterPort, OrderStorePort, StoredSeq, WarehousePort } from '@retail-sync/libs/ports';

export interface ReconcileStoreInput {
  store_id: string;
  /** Highest seq central acknowledged for the store: the store log's accepted range is 1..this. */
  acked_high_water: number;
}

export interface ReconcileCounts {
  accepted: number;
  stored: number;
  warehouse: number;
  dead_lettered: number;
  missing: number;
  duplicated: number;
}

export interface StoreReconciliation extends ReconcileCounts {
  store_id: string;
  acked_high_water: number;
  /** Stored seqs the warehouse facts do not hold yet (lag, not loss: the next roll-up brings them). */
  not_in_warehouse: number;
  /** The first missing seqs (at most 100), for the operator. */
  missing_seqs: number[];
  /** Surplus event_ids (at most 100). */
  duplicated_event_ids: string[];
}

export interface ReconcileTotals extends ReconcileCounts {
  stores: number;
}

export interface ReconcileReport {
  perStore: StoreReconciliation[];
  totals: ReconcileTotals;
  /** True when nothing is missing and nothing is doubled. */
  ok: boolean;
}

export interface ReconcileInput {
  stores: readonly ReconcileStoreInput[];
  orderStore: Pick<OrderStorePort, 'seqsForStore' | 'salesForStoreDay'>;
  deadLetters: Pick<DeadLetterPort, 'seqsForStore'>;
  warehouse: Pick<WarehousePort, 'factSeqsForStore'>;
}

const LISTED = 100;

export async function reconcile(input: ReconcileInput): Promise<ReconcileReport> {
  const perStore: StoreReconciliation[] = [];
  for (const store of input.stores) perStore.push(await reconcileStore(store, input));
  const totals: ReconcileTotals = { stores: perStore.length, accepted: 0, stored: 0, warehouse: 0, dead_lettered: 0, missing: 0, duplicated: 0 };
  for (const store of perStore) {
    for (const key of ['accepted', 'stored', 'warehouse', 'dead_lettered', 'missing', 'duplicated'] as const) totals[key] += store[key];
  }
  return { perStore, totals, ok: totals.missing === 0 && totals.duplicated === 0 };
}

/** Exactly: `reconcile: stores=N accepted=A stored=S warehouse=W dead_lettered=D missing=M duplicated=X`. */
export function formatReconcileLine(totals: ReconcileTotals): string {
  const { stores, accepted, stored, warehouse, dead_lettered, missing, duplicated } = totals;
  return `reconcile: stores=${stores} accepted=${accepted} stored=${stored} warehouse=${warehouse} dead_lettered=${dead_lettered} missing=${missing} duplicated=${duplicated}`;
}

async function reconcileStore(store: ReconcileStoreInput, input: ReconcileInput): Promise<StoreReconciliation> {
  const highWater = Math.max(0, store.acked_high_water);
  const [storedSeqs, letterSeqs, factSeqs] = highWater === 0
    ? [[], [], []]
    : await Promise.all([
        input.orderStore.seqsForStore(store.store_id, 1, highWater),
        input.deadLetters.seqsForStore(store.store_id),
        input.warehouse.factSeqsForStore(store.store_id, 1, highWater),
      ]);

  const eventsBySeq = groupEventIds(storedSeqs.map((row) => [String(row.seq), row.event_id]));
  const storedSet = new Set(storedSeqs.map((row) => row.seq));
  const lettered = new Set(letterSeqs.filter((seq) => seq >= 1 && seq <= highWater && !storedSet.has(seq)));
  const factSet = new Set(factSeqs.map((row) => row.seq));

  const missingSeqs: number[] = [];
  let missing = 0;
  for (let seq = 1; seq <= highWater; seq += 1) {
    if (storedSet.has(seq) || lettered.has(seq)) continue;
    missing += 1;
    if (missingSeqs.length < LISTED) missingSeqs.push(seq);
  }

  const surplus = new Set<string>();
  for (const eventIds of eventsBySeq.values()) surplusOf(eventIds).forEach((id) => surplus.add(id));
  for (const eventIds of (await eventsByReceipt(store.store_id, storedSeqs, input)).values()) surplusOf(eventIds).forEach((id) => surplus.add(id));
  let factSurplus = 0;
  for (const row of factSeqs) factSurplus += Math.max(0, row.sales - Math.max(1, eventsBySeq.get(String(row.seq))?.size ?? 0));

  return {
    store_id: store.store_id,
    acked_high_water: store.acked_high_water,
    accepted: highWater,
    stored: storedSet.size,
    warehouse: factSet.size,
    dead_lettered: lettered.size,
    missing,
    duplicated: surplus.size + factSurplus,
    not_in_warehouse: [...storedSet].filter((seq) => !factSet.has(seq)).length,
    missing_seqs: missingSeqs,
    duplicated_event_ids: [...surplus].sort().slice(0, LISTED),
  };
}

/** Receipt key → event_ids, over the business dates the store's in-range seqs fall on. */
async function eventsByReceipt(storeId: string, storedSeqs: readonly StoredSeq[], input: ReconcileInput): Promise<Map<string, Set<string>>> {
  const inRange = new Set(storedSeqs.map((row) => row.event_id));
  const pairs: Array<[string, string]> = [];
  for (const date of new Set(storedSeqs.map((row) => row.business_date))) {
    for (const sale of await input.orderStore.salesForStoreDay(storeId, date)) {
      if (inRange.has(sale.event_id)) pairs.push([`${sale.terminal_id}\u0000${sale.receipt_no}\u0000${sale.type}`, sale.event_id]);
    }
  }
  return groupEventIds(pairs);
}

function groupEventIds(pairs: ReadonlyArray<readonly [string, string]>): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  for (const [key, eventId] of pairs) {
    const group = groups.get(key) ?? new Set<string>();
    group.add(eventId);
    groups.set(key, group);
  }
  return groups;
}

/** All but the first event_id (in sort order, so the choice is stable) of a group. */
function surplusOf(eventIds: Set<string>): string[] {
  return [...eventIds].sort().slice(1);
}
