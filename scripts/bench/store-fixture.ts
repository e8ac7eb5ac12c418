/**
 * A store buffer holding N accepted sales, made once per run (through intake, by a store whose shipper
 * cannot reach anyone) and copied for every shipping round, so each round ships the same events from
 * a cold start.
 */
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreStatus } from '@retail-sync/store';
import type { BenchContext } from './harness.ts';
import { catalogStore, postLoad, saleMaker } from './pos-load.ts';
import { deadEndpoint, startStore } from './processes.ts';

export interface FilledStore {
  storeId: string;
  /** RS_DATA_DIR of the filled store (its buffer is in store/<storeId>/). */
  dataDir: string;
  events: number;
  bufferedBytes: number;
}

const filled = new Map<string, Promise<FilledStore>>();

export async function storeStatus(url: string): Promise<StoreStatus> {
  return (await (await fetch(`${url}/v1/status`)).json()) as StoreStatus;
}

/** A buffer of `events` sales of the catalog's first store, made once per work dir and size. */
export function filledStore(context: BenchContext, events: number): Promise<FilledStore> {
  const key = `${context.workDir}:${events}`;
  if (!filled.has(key)) filled.set(key, fill(context, events));
  return filled.get(key)!;
}

async function fill(context: BenchContext, events: number): Promise<FilledStore> {
  const store = catalogStore(0);
  const dataDir = join(context.workDir, `filled-${events}`);
  context.log(`filling a store buffer with ${events} sales through intake`);
  const running = await startStore({ storeId: store.store_id, dataDir, endpoints: await deadEndpoint(), logFile: join(dataDir, 'store.log') });
  try {
    const load = await postLoad({ url: running.url, batch: 500, concurrency: 4, sale: saleMaker(store), totalSales: events });
    const status = await storeStatus(running.url);
    if (load.accepted !== events || status.buffered_records !== events) throw new Error(`filling the store buffer: ${load.accepted} of ${events} sales accepted, ${status.buffered_records} buffered`);
    return { storeId: store.store_id, dataDir, events, bufferedBytes: status.buffered_bytes };
  } finally {
    await running.stop();
  }
}

/** A fresh copy of the filled store's data dir at `dataDir`; returns a remover. */
export function copyFilledStore(source: FilledStore, dataDir: string): () => void {
  rmSync(dataDir, { recursive: true, force: true });
  cpSync(join(source.dataDir, 'store'), join(dataDir, 'store'), { recursive: true });
  return () => rmSync(dataDir, { recursive: true, force: true });
}
