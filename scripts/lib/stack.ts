/**
 * Composes the whole pipeline on one machine for `npm start`, `npm run demo` and their tests: central
 * and the DAG runner in this process (the embedded DuckDB files allow one writer process, so they
 * share it), and every store in a process of its own, as a shop's edge box would be.
 */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCentralConfig, startCentral, type Central } from '@retail-sync/central';
import { loadDagsConfig, startDagRunner, type DagRunner } from '@retail-sync/dags';
import { createLogger, type Logger } from '@retail-sync/libs/log';
import { spawnServer } from '@retail-sync/libs/runtime';
import type { StoreStatus } from '@retail-sync/store';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface CatalogStore {
  store_id: string;
  name: string;
  region: string;
  timezone: string;
  currency: string;
  price_factor: number;
}

export interface SeedCatalog {
  stores: CatalogStore[];
  products: Array<{ sku: string; category: string; list_price_minor: number; unit_cost_minor: number }>;
}

export function readSeedCatalog(path = join(REPO_ROOT, 'data/seed/catalog.json')): SeedCatalog {
  return JSON.parse(readFileSync(path, 'utf8')) as SeedCatalog;
}

export { freePort, spawnServer, type ServerProcess, type ServerSpawnOptions } from '@retail-sync/libs/runtime';

export interface CentralNodeOptions {
  dataDir: string;
  /** Ports of the admin API, gRPC ingest and the DAG runner; 0 or omitted = the OS picks (no race). */
  adminPort?: number;
  grpcPort?: number;
  dagsPort?: number;
  /** Scheduler tick of the DAG runner (6 fields = seconds). */
  dagTickCron: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}

export interface CentralNode {
  central: Central;
  /** Where stores ship: 127.0.0.1 and the gRPC port central bound. */
  grpcEndpoint: string;
  dags: DagRunner;
  close(): Promise<void>;
}

/** Central (ingest, worker, admin) and the DAG runner in this process, on the embedded adapters. */
export async function startCentralNode(options: CentralNodeOptions): Promise<CentralNode> {
  const env = {
    ...process.env,
    ...options.env,
    RS_DATA_DIR: options.dataDir,
    RS_ADMIN_PORT: String(options.adminPort ?? 0),
    RS_GRPC_PORT: String(options.grpcPort ?? 0),
    RS_DAGS_PORT: String(options.dagsPort ?? 0),
    RS_DAG_TICK_CRON: options.dagTickCron,
    RS_CATALOG_PATH: process.env.RS_CATALOG_PATH ?? join(REPO_ROOT, 'data/seed/catalog.json'),
  };
  const central = await startCentral(loadCentralConfig(env), { logger: options.logger.child({ service: 'central' }) });
  try {
    const dags = await startDagRunner(loadDagsConfig(env), {
      orderStore: central.orderStore,
      deadLetters: central.deadLetters,
      logger: options.logger.child({ service: 'dags' }),
    });
    return {
      central,
      grpcEndpoint: `127.0.0.1:${central.grpcPort}`,
      dags,
      async close() {
        await dags.close();
        await central.close();
      },
    };
  } catch (error) {
    await central.close();
    throw error;
  }
}

export interface StoreProcess {
  storeId: string;
  url: string;
  port: number;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM (graceful) or SIGKILL (crash), then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StoreProcessOptions {
  storeId: string;
  /** Intake port; a free one when omitted (give one only to restart a store where its tills expect it). */
  port?: number;
  dataDir: string;
  grpcEndpoints: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts `store/src/bin.ts` in its own process and waits until its intake answers /healthz. */
export async function spawnStore(options: StoreProcessOptions): Promise<StoreProcess> {
  const server = await spawnServer({
    cwd: REPO_ROOT,
    entry: join(REPO_ROOT, 'store/src/bin.ts'),
    ports: { intake: options.port },
    healthPort: 'intake',
    logFile: options.logFile,
    label: `store ${options.storeId}`,
    // A first start on a fresh checkout compiles the store's sources (tsx), several stores at once on 2 cores.
    timeoutMs: 120_000,
    env: (ports) => ({
      ...options.env,
      RS_STORE_ID: options.storeId,
      RS_STORE_PORT: String(ports.intake),
      RS_DATA_DIR: options.dataDir,
      RS_CENTRAL_GRPC_ENDPOINTS: options.grpcEndpoints,
    }),
  });
  return { storeId: options.storeId, url: `http://127.0.0.1:${server.ports.intake}`, port: server.ports.intake!, child: server.child, exited: server.exited, stop: server.stop };
}

/** Polls `check` until it returns true; `onPoll` may throw to abort early. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, onPoll?: () => Promise<void>, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await onPoll?.();
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolveSleep) => setTimeout(resolveSleep, intervalMs));
  }
}

/** JSON logs of the in-process services go to a file, so the console stays readable. */
export function fileLogger(path: string, level = process.env.RS_LOG_LEVEL ?? 'info'): Logger {
  mkdirSync(join(path, '..'), { recursive: true });
  return createLogger({ service: 'retail-sync', level, destination: createWriteStream(path, { flags: 'a' }) });
}

/** A store process's GET /v1/status. */
export async function storeStatus(store: Pick<StoreProcess, 'url'>): Promise<StoreStatus> {
  const response = await fetch(`${store.url}/v1/status`);
  return (await response.json()) as StoreStatus;
}

/**
 * Waits until the pipeline drained: every store's log is acked by its transport, central holds every
 * seq 1..last_seq in the order store or the dead-letter store, and the queue is empty. False on timeout
 * (reconciliation then shows the gap).
 */
export async function waitForDrain(stores: ReadonlyArray<Pick<StoreProcess, 'url'>>, central: Pick<Central, 'orderStore' | 'deadLetters' | 'queue'>, timeoutMs: number): Promise<boolean> {
  const { orderStore, deadLetters, queue } = central;
  try {
    await waitUntil(
      async () => {
        const statuses = await Promise.all(stores.map(storeStatus));
        if (statuses.some((status) => status.acked_seq < status.last_seq)) return false;
        for (const status of statuses) {
          const stored = await orderStore.seqsForStore(status.store_id, 1, status.last_seq);
          const lettered = await deadLetters.seqsForStore(status.store_id);
          if (new Set([...stored.map((s) => s.seq), ...lettered]).size < status.last_seq) return false;
        }
        const counts = await queue.counts();
        return counts.waiting + counts.active + counts.delayed === 0;
      },
      timeoutMs,
      undefined,
      250,
    );
    return true;
  } catch {
    return false;
  }
}

export interface CentralProcess {
  grpcEndpoint: string;
  adminUrl: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** SIGTERM (graceful) or SIGKILL (crash), then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface CentralProcessOptions {
  /** Free ports when omitted; give the gRPC port to restart central where its stores ship. */
  grpcPort?: number;
  adminPort?: number;
  dataDir: string;
  logFile: string;
  /** RS_* keys on top of this process's env (RS_PROFILE, RS_CENTRAL_ROLES, isolation names…); the admin role is always added. */
  env?: NodeJS.ProcessEnv;
}

/** Starts `central/src/bin.ts` in its own process (so a test can SIGKILL it) and waits until its admin API answers /healthz. */
export async function spawnCentral(options: CentralProcessOptions): Promise<CentralProcess> {
  const roles = new Set((options.env?.RS_CENTRAL_ROLES ?? 'ingest,worker').split(','));
  roles.add('admin');
  const server = await spawnServer({
    cwd: REPO_ROOT,
    entry: join(REPO_ROOT, 'central/src/bin.ts'),
    ports: { grpc: options.grpcPort, admin: options.adminPort },
    healthPort: 'admin',
    logFile: options.logFile,
    label: 'central',
    env: (ports) => ({
      ...options.env,
      RS_CENTRAL_ROLES: [...roles].join(','),
      RS_GRPC_PORT: String(ports.grpc),
      RS_ADMIN_PORT: String(ports.admin),
      RS_DATA_DIR: options.dataDir,
      RS_CATALOG_PATH: process.env.RS_CATALOG_PATH ?? join(REPO_ROOT, 'data/seed/catalog.json'),
    }),
  });
  return { grpcEndpoint: `127.0.0.1:${server.ports.grpc}`, adminUrl: `http://127.0.0.1:${server.ports.admin}`, child: server.child, exited: server.exited, stop: server.stop };
}
