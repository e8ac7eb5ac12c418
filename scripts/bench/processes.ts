/**
 * Service processes for the bench: central and the DAG runner each in a process of their own (as in
 * production, and so their RSS and CPU profiles are theirs alone), started from their entry points
 * like scripts/lib/stack.ts starts stores. Every process the bench starts it stops itself.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, REPO_ROOT, spawnServer, spawnStore, type StoreProcess } from '../lib/stack.ts';

export interface ServiceProcess {
  pid: number;
  /** Its HTTP base URL (admin API or runner API). */
  url: string;
  /** SIGTERM (graceful: profiles are written) and wait for the exit. */
  stop(): Promise<void>;
}

const TSX = ['--import', 'tsx'];

async function spawnService(options: { entry: string; nodeArgs: string[]; portEnv: string; env: Record<string, string>; logFile: string }): Promise<ServiceProcess & { port: number }> {
  const server = await spawnServer({
    cwd: REPO_ROOT,
    entry: options.entry,
    nodeArgs: options.nodeArgs,
    ports: { http: undefined },
    healthPort: 'http',
    logFile: options.logFile,
    label: options.entry,
    timeoutMs: 90_000,
    env: (ports) => ({ ...options.env, [options.portEnv]: String(ports.http) }),
  });
  return { pid: server.pid, port: server.ports.http!, url: `http://127.0.0.1:${server.ports.http}`, stop: () => server.stop('SIGTERM') };
}

/** A central process with the given roles (admin is always added: its /healthz says it is up). */
export async function spawnCentral(options: { roles: string; env: Record<string, string>; logFile: string; grpcPort?: number }): Promise<ServiceProcess & { grpcPort: number }> {
  const server = await spawnServer({
    cwd: REPO_ROOT,
    entry: join(REPO_ROOT, 'central/src/bin.ts'),
    ports: { admin: undefined, grpc: options.grpcPort },
    healthPort: 'admin',
    logFile: options.logFile,
    label: 'central',
    timeoutMs: 90_000,
    env: (ports) => ({
      RS_PROFILE: 'production',
      RS_CATALOG_PATH: join(REPO_ROOT, 'data/seed/catalog.json'),
      ...options.env,
      RS_CENTRAL_ROLES: `${options.roles},admin`,
      RS_ADMIN_PORT: String(ports.admin),
      RS_GRPC_PORT: String(ports.grpc),
    }),
  });
  return { pid: server.pid, url: `http://127.0.0.1:${server.ports.admin}`, grpcPort: server.ports.grpc!, stop: () => server.stop('SIGTERM') };
}

/** A production DAG runner process (Cassandra → ClickHouse). */
export async function spawnDagRunner(options: { env: Record<string, string>; logFile: string }): Promise<ServiceProcess> {
  return spawnService({ entry: join(REPO_ROOT, 'dags/src/bin.ts'), nodeArgs: TSX, portEnv: 'RS_DAGS_PORT', logFile: options.logFile, env: { RS_PROFILE: 'production', ...options.env } });
}

export interface BenchStore extends StoreProcess {
  pid: number;
}

/**
 * A store process with its buffer under `dataDir`. `endpoints` may name a port nobody listens on:
 * the shipper then keeps backing off and every event stays buffered.
 */
export async function startStore(options: { storeId: string; dataDir: string; endpoints: string; logFile: string; env?: Record<string, string> }): Promise<BenchStore> {
  const store = await spawnStore({ storeId: options.storeId, dataDir: options.dataDir, grpcEndpoints: options.endpoints, logFile: options.logFile, env: options.env ?? {} });
  return Object.assign(store, { pid: store.child.pid! });
}

/**
 * The store's production form: the bundle scripts/build.ts writes, on plain node (no tsx), with its
 * buffer under `dataDir`; `env` may carry NODE_OPTIONS (the production heap flags, the bench probe).
 */
export async function startBundledStore(options: { bundle: string; storeId: string; dataDir: string; endpoints: string; logFile: string; env?: Record<string, string> }): Promise<ServiceProcess> {
  return spawnService({
    entry: options.bundle,
    nodeArgs: [],
    portEnv: 'RS_STORE_PORT',
    logFile: options.logFile,
    env: { ...options.env, RS_STORE_ID: options.storeId, RS_DATA_DIR: options.dataDir, RS_CENTRAL_GRPC_ENDPOINTS: options.endpoints },
  });
}

/** A loopback endpoint with nothing listening (the port is free and stays unbound). */
export async function deadEndpoint(): Promise<string> {
  return `127.0.0.1:${await freePort()}`;
}

/** VmRSS and VmHWM (peak) of a process in MiB, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

/** Samples a process's RSS every `intervalMs` until stopped; returns the max and the last sample. */
export function sampleMemory(pid: number, intervalMs = 250): { stop(): { maxMiB: number; lastMiB: number } } {
  let maxMiB = 0;
  let lastMiB = Number.NaN;
  const sample = () => {
    try {
      lastMiB = memoryOf(pid).rssMiB;
      maxMiB = Math.max(maxMiB, lastMiB);
    } catch {
      // the process exited between samples
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { maxMiB, lastMiB };
    },
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (all its threads). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[11] and fields[12] are utime and stime (fields 14 and 15 of proc(5)), in clock ticks of 1/100 s
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs a TypeScript script of the bench in its own node process to the end; rejects on a non-zero exit. */
export function runScript(script: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, script), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited with code ${code}: ${stderr.trim()}`))));
  });
}
