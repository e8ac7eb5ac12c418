/**
 * POS traffic for the bench: valid sales of a catalog store (every one accepted, none a retry), posted
 * as `{"sales": [...]}` batches by concurrent clients, as fast as the store answers or paced to a rate.
 * Each request's latency is send → 202 read, i.e. a durable ack. Requests go through node:http with
 * kept-alive connections, one per client: fetch costs the load generator several times more CPU per
 * request, and on a 2-core box the generator's CPU is taken from the store it measures.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { readSeedCatalog, type CatalogStore } from '../lib/stack.ts';
import { sleep } from './harness.ts';

const catalog = readSeedCatalog();

export function catalogStore(index: number): CatalogStore {
  return catalog.stores[index % catalog.stores.length]!;
}

/** Makes sale number n of one store; receipt numbers are unique per maker. */
export function saleMaker(store: CatalogStore, occurredAt = new Date().toISOString()): (n: number) => Record<string, unknown> {
  const tag = randomUUID().slice(0, 8);
  const products = catalog.products;
  return (n) => {
    const lineCount = 1 + (n % 3);
    const lines = Array.from({ length: lineCount }, (_, line) => {
      const product = products[(n * 7 + line * 13) % products.length]!;
      return { sku: product.sku, qty: 1 + ((n + line) % 2), unit_price_minor: Math.round(product.list_price_minor * store.price_factor), discount_minor: 0 };
    });
    const net = lines.reduce((sum, line) => sum + line.qty * line.unit_price_minor, 0);
    const tax = Math.round(net * 0.08);
    return {
      store_id: store.store_id,
      terminal_id: `t${1 + (n % 4)}`,
      receipt_no: `${tag}-${n}`,
      occurred_at: occurredAt,
      type: 'sale',
      currency: store.currency,
      lines,
      tax_minor: tax,
      total_minor: net + tax,
      payment_method: 'card',
    };
  };
}

export interface LoadOptions {
  /** Store intake base URL. */
  url: string;
  /** Sales per POST. */
  batch: number;
  /** Concurrent POS clients. */
  concurrency: number;
  sale: (n: number) => Record<string, unknown>;
  /** Stop after this many sales, or after durationMs, whichever comes first. */
  totalSales?: number;
  durationMs?: number;
  /** Open loop: sales per second over all clients. Unset: each client posts as soon as its last answer came. */
  ratePerSecond?: number;
}

export interface LoadResult {
  sent: number;
  accepted: number;
  /** Requests that did not answer 202 (503 buffer full, errors): their sales are not counted accepted. */
  failedRequests: number;
  elapsedMs: number;
  latenciesMs: number[];
}

export async function postLoad(options: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = { sent: 0, accepted: 0, failedRequests: 0, elapsedMs: 0, latenciesMs: [] };
  const total = options.totalSales ?? Number.POSITIVE_INFINITY;
  const started = performance.now();
  const deadline = options.durationMs === undefined ? Number.POSITIVE_INFINITY : started + options.durationMs;
  let next = 0;
  const client = async () => {
    for (;;) {
      const first = next;
      const count = Math.min(options.batch, total - first);
      if (count <= 0 || performance.now() >= deadline) return;
      next += count;
      if (options.ratePerSecond !== undefined) {
        const due = started + (first * 1000) / options.ratePerSecond;
        if (due >= deadline) return;
        if (due > performance.now()) await sleep(due - performance.now());
      }
      const body = JSON.stringify({ sales: Array.from({ length: count }, (_, i) => options.sale(first + i)) });
      const sentAt = performance.now();
      result.sent += count;
      try {
        const response = await post(agent, url, body);
        if (response.status !== 202) {
          result.failedRequests += 1;
          if (response.status === 503) await sleep(50);
          continue;
        }
        const answer = JSON.parse(response.body) as { results?: Array<{ status: string }> };
        result.latenciesMs.push(performance.now() - sentAt);
        result.accepted += (answer.results ?? []).filter((entry) => entry.status === 'accepted').length;
      } catch {
        result.failedRequests += 1;
      }
    }
  };
  const url = new URL('/v1/sales', options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  try {
    await Promise.all(Array.from({ length: options.concurrency }, client));
  } finally {
    agent.destroy();
  }
  result.elapsedMs = performance.now() - started;
  return result;
}

/** One POST of a JSON body; resolves with the status and the whole answer once it has been read. */
function post(agent: Agent, url: URL, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end(body);
  });
}
