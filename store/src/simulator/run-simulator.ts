/**
 * Drives POS traffic into stores' intake and reports what the stores confirmed. A sale counts as
 * stored only when a 202 response lists it as accepted or duplicate; requests that get 503 or a
 * connection error are re-sent (with backoff) unchanged, so the store's receipt dedupe is exercised
 * exactly as a real terminal would exercise it.
 */
import { seededRandom, seedFor, type Random } from './prng.ts';
import type { SaleInput } from '@retail-sync/libs/domain';
import { SaleGenerator, type PosSale, type SimulatedStore, type SimulatorCatalog } from './sale-generator.ts';

export interface SimulatorOptions {
  stores: SimulatedStore[];
  /** Sales generated per store, malformed ones included; POS retries are sent on top. */
  events: number;
  /** Sales per second across all stores; as fast as the stores answer when omitted. */
  ratePerSecond?: number;
  /** Share of sales made malformed on purpose (0–1). */
  badRate: number;
  /** Share of sales re-sent later as a POS retry of the same receipt (0–1). */
  retryRate: number;
  catalog: SimulatorCatalog;
  seed: number;
  terminalsPerStore?: number;
  /** Tag put into receipt numbers so repeated runs against the same stores never reuse a receipt. */
  runTag?: string;
  /** Attempts per request on 503 / connection errors before the request's sales count as unconfirmed. @default 30 */
  maxAttempts?: number;
  fetch?: typeof fetch;
}

export interface ReceiptKey {
  terminal_id: string;
  receipt_no: string;
  type: SaleInput['type'];
}

export interface AcceptedSale {
  event_id: string;
  seq: number;
  receipt: ReceiptKey;
}

export interface StoreSimulationCounts {
  /** Sales sent (retries included, each request counted once, not per attempt). */
  sent: number;
  /** Results with status accepted. */
  accepted: number;
  /** Results with status duplicate. */
  duplicates: number;
  /** Results with status rejected. */
  rejected: number;
  /** POS retries sent on purpose. */
  retries: number;
  /** Sales whose request never got an answer after maxAttempts. */
  unconfirmed: number;
}

export interface StoreSimulationResult {
  store_id: string;
  /** Distinct receipts the store holds, in seq order: accepted, or a duplicate of a copy whose 202 was lost. */
  accepted: AcceptedSale[];
  counts: StoreSimulationCounts;
}

export interface SimulationResult {
  stores: StoreSimulationResult[];
}

interface OutgoingSale {
  body: PosSale;
  retry: boolean;
}

interface SaleResultEntry {
  index: number;
  status: 'accepted' | 'duplicate' | 'rejected';
  event_id?: string;
  seq?: number;
}

export async function runSimulator(options: SimulatorOptions): Promise<SimulationResult> {
  const perStoreRate = options.ratePerSecond ? options.ratePerSecond / options.stores.length : undefined;
  const stores = await Promise.all(options.stores.map((store) => simulateStore(store, options, perStoreRate)));
  return { stores };
}

async function simulateStore(store: SimulatedStore, options: SimulatorOptions, ratePerSecond: number | undefined): Promise<StoreSimulationResult> {
  const random = seededRandom(seedFor(options.seed, store.store_id));
  const generator = new SaleGenerator(store, options.catalog, random, options.terminalsPerStore ?? 3, undefined, options.runTag);
  const counts: StoreSimulationCounts = { sent: 0, accepted: 0, duplicates: 0, rejected: 0, retries: 0, unconfirmed: 0 };
  const confirmed = new Map<string, AcceptedSale>();
  const sentGood: PosSale[] = [];
  const pendingRetries: PosSale[] = [];
  let generated = 0;
  let nextSendAt = Date.now();

  while (generated < options.events || pendingRetries.length > 0) {
    const batch: OutgoingSale[] = [];
    const size = random.int(1, 20);
    while (batch.length < size && (generated < options.events || pendingRetries.length > 0)) {
      if (pendingRetries.length > 0 && (generated >= options.events || random.chance(0.5))) {
        batch.push({ body: pendingRetries.shift()!, retry: true });
        continue;
      }
      const sale = generator.next(options.badRate);
      generated += 1;
      batch.push({ body: sale.body, retry: false });
      if (!sale.malformed) sentGood.push(sale.body);
    }
    scheduleRetries(random, options.retryRate, batch, sentGood, pendingRetries);

    if (ratePerSecond) {
      nextSendAt += (batch.length / ratePerSecond) * 1000;
      const wait = nextSendAt - Date.now();
      if (wait > 0) await sleep(wait);
    }
    counts.sent += batch.length;
    counts.retries += batch.filter((sale) => sale.retry).length;
    const results = await postWithRetries(store.url, batch.map((sale) => sale.body), options.maxAttempts ?? 30, options.fetch ?? fetch);
    if (!results) {
      counts.unconfirmed += batch.length;
      continue;
    }
    for (const result of results) {
      const sale = batch[result.index]!.body;
      if (result.status === 'rejected') {
        counts.rejected += 1;
        continue;
      }
      if (result.status === 'accepted') counts.accepted += 1;
      else counts.duplicates += 1;
      const receipt: ReceiptKey = { terminal_id: sale.terminal_id, receipt_no: sale.receipt_no, type: sale.type };
      const key = JSON.stringify([receipt.terminal_id, receipt.receipt_no, receipt.type]);
      if (!confirmed.has(key)) confirmed.set(key, { event_id: result.event_id!, seq: result.seq!, receipt });
    }
  }
  return { store_id: store.store_id, accepted: [...confirmed.values()].sort((a, b) => a.seq - b.seq), counts };
}

/** Picks already sent good sales to come back later as POS retries (identical bodies). */
function scheduleRetries(random: Random, retryRate: number, batch: OutgoingSale[], sentGood: PosSale[], pendingRetries: PosSale[]): void {
  for (const sale of batch) {
    if (!sale.retry && sentGood.length > 0 && random.chance(retryRate)) pendingRetries.push(random.pick(sentGood));
  }
}

async function postWithRetries(url: string, sales: PosSale[], maxAttempts: number, fetchImpl: typeof fetch): Promise<SaleResultEntry[] | undefined> {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    try {
      const response = await fetchImpl(`${url}/v1/sales`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sales }),
      });
      if (response.status === 202 || response.status === 400) {
        const body = (await response.json()) as { results?: SaleResultEntry[] };
        if (body.results) return body.results;
        throw new Error(`intake answered ${response.status} without results`);
      }
      await response.body?.cancel();
      // 503 (buffer full or failed) and 429 (rate limited) say "later": wait Retry-After, then resend the same sales
      if (response.status !== 503 && response.status !== 429 && response.status < 500) throw new Error(`intake answered ${response.status}`);
      const retryAfterMs = Number(response.headers.get('retry-after') ?? '0') * 1000;
      await sleep(Math.max(retryAfterMs > 0 ? Math.min(retryAfterMs, 2_000) : 0, backoffMs(attempt)));
    } catch (error) {
      if ((error as Error).message.startsWith('intake answered')) throw error;
      await sleep(backoffMs(attempt)); // connection refused/reset: the store may be restarting
    }
  }
  return undefined;
}

/** Full-jitter backoff; Math.random, not the seeded PRNG, so timing never changes which sales are generated. */
function backoffMs(attempt: number): number {
  return Math.floor(Math.random() * Math.min(2_000, 50 * 2 ** attempt));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
