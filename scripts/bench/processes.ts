/**
 * Service processes for the bench: central and the DAG runner each in a process of their own (as in
 * production, and so their RSS and CPU profiles are theirs alone), started from their entry points
 * like scripts/lib/stack.ts starts stores. Every process the bench starts it stops itself.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort, REPO_ROOT, spawnStore, waitUntil, type StoreProcess } from '../lib/stack.ts';

export interface ServiceProcess {
  pid: number;
  /** Its HTTP base URL (admin API or runner API). */
  url: string;
  /** SIGTERM (graceful: profiles are written) and wait for the exit. */
  stop(): Promise<void>;
}

interface SpawnOptions {
  entry: 'central/src/bin.ts' | 'dags/src/bin.ts';
  port: number;
  env: Record<string, string>;
  logFile: string;
}

async function spawnService(options: SpawnOptions): Promise<ServiceProcess> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, options.entry)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => log.end());
  const url = `http://127.0.0.1:${options.port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitUntil(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true, 90_000, async () => {
      if (child.exitCode !== null) throw new Error(`${options.entry} exited with code ${child.exitCode}; see ${options.logFile}`);
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { pid: child.pid!, url, stop };
}

/** A central process with the given roles (admin is always added: its /healthz says it is up). */
export async function spawnCentral(options: { roles: string; env: Record<string, string>; logFile: string; grpcPort?: number }): Promise<ServiceProcess & { grpcPort: number }> {
  const adminPort = await freePort();
  const grpcPort = options.grpcPort ?? (await freePort());
  const service = await spawnService({
    entry: 'central/src/bin.ts',
    port: adminPort,
    logFile: options.logFile,
    env: {
      RS_PROFILE: 'production',
      RS_CATALOG_PATH: join(REPO_ROOT, 'data/seed/catalog.json'),
      ...options.env,
      RS_CENTRAL_ROLES: `${options.roles},admin`,
      RS_ADMIN_PORT: String(adminPort),
      RS_GRPC_PORT: String(grpcPort),
    },
  });
  return { ...service, grpcPort };
}

/** A production DAG runner process (Cassandra → ClickHouse). */
export async function spawnDagRunner(options: { env: Record<string, string>; logFile: string }): Promise<ServiceProcess> {
  const port = await freePort();
  return spawnService({ entry: 'dags/src/bin.ts', port, logFile: options.logFile, env: { RS_PROFILE: 'production', ...options.env, RS_DAGS_PORT: String(port) } });
}

export interface BenchStore extends StoreProcess {
  pid: number;
}

/**
 * A store process with its buffer under `dataDir`. `endpoints` may name a port nobody listens on:
 * the shipper then keeps backing off and every event stays buffered.
 */
export async function startStore(options: { storeId: string; dataDir: string; endpoints: string; logFile: string; env?: Record<string, string> }): Promise<BenchStore> {
  const store = await spawnStore({ storeId: options.storeId, port: await freePort(), dataDir: options.dataDir, grpcEndpoints: options.endpoints, logFile: options.logFile, env: options.env ?? {} });
  return Object.assign(store, { pid: store.child.pid! });
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
