/**
 * Starting server processes from tools and tests (demo, simulate, chaos, bench, process-level tests):
 * each gets free ports, and a start counts only once the process itself answers /healthz.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';

/** A free TCP port on 127.0.0.1 (the OS picks; another process may take it before the caller binds it: spawnServer retries). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** A server process this run spawned: its ports are the ones it really bound. */
export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  /** Each named port of the process, as it listens on it. */
  ports: Record<string, number>;
  /** Resolves with the exit code when the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM (graceful) or SIGKILL (crash), then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface ServerSpawnOptions {
  /** What node runs, after `nodeArgs` (default `--import tsx`). */
  entry: string;
  nodeArgs?: string[];
  /** The process's ports by name: a number is used as given, undefined gets a free port per attempt. */
  ports: Record<string, number | undefined>;
  /** Which named port answers GET /healthz. */
  healthPort: string;
  /** The process's environment on top of this one's, given the ports of this attempt. */
  env(ports: Record<string, number>): NodeJS.ProcessEnv;
  logFile: string;
  /** Names the process in errors ("store nyc-001"). */
  label: string;
  timeoutMs?: number;
  /** Its working directory. */
  cwd: string;
  /** false: the process gets `env` alone, not this process's environment under it. */
  inheritEnv?: boolean;
}

const SPAWN_ATTEMPTS = 5;
const HEALTH_REQUEST_TIMEOUT_MS = 2_000;

/**
 * Starts a server process and waits until its /healthz answers with the process's own pid. A free
 * port picked here can be taken by another process before the child binds it; the child then exits
 * (EADDRINUSE) and, when any port was picked rather than given, the start is tried again on fresh
 * ports. Checking the pid keeps a stranger that got the port first from passing for the child.
 */
export async function spawnServer(options: ServerSpawnOptions): Promise<ServerProcess> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const picksPorts = Object.values(options.ports).some((port) => port === undefined);
  for (let attempt = 1; ; attempt += 1) {
    const ports: Record<string, number> = {};
    for (const [name, port] of Object.entries(options.ports)) ports[name] = port ?? (await freePort());
    const log = createWriteStream(options.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [...(options.nodeArgs ?? ['--import', 'tsx']), options.entry], {
      cwd: options.cwd,
      env: { ...(options.inheritEnv === false ? {} : process.env), ...options.env(ports) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    exited.then(() => log.end(), () => log.end());
    const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    };
    const healthUrl = `http://127.0.0.1:${ports[options.healthPort]}/healthz`;
    const answeredByChild = async () => {
      // Bounded: whatever took the port first may accept and never answer (a gRPC or Kafka listener).
      const response = await fetch(healthUrl, { signal: AbortSignal.timeout(HEALTH_REQUEST_TIMEOUT_MS) }).catch(() => undefined);
      if (!response?.ok) return false;
      const body = (await response.json().catch(() => ({}))) as { pid?: number };
      return body.pid === child.pid;
    };
    try {
      const deadline = Date.now() + (options.timeoutMs ?? 60_000);
      while (!(await answeredByChild())) {
        if (child.exitCode !== null || child.signalCode !== null) throw new ExitedEarly(child.exitCode);
        if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs ?? 60_000} ms`);
        await new Promise((resolveSleep) => setTimeout(resolveSleep, 100));
      }
      return { child, pid: child.pid!, ports, exited, stop };
    } catch (error) {
      await stop('SIGKILL');
      if (error instanceof ExitedEarly && picksPorts && attempt < SPAWN_ATTEMPTS) continue;
      const why = error instanceof ExitedEarly ? `exited with code ${error.code}` : `did not answer ${healthUrl} (${(error as Error).message})`;
      throw new Error(`${options.label} ${why}; see ${options.logFile}`);
    }
  }
}

class ExitedEarly extends Error {
  constructor(readonly code: number | null) {
    super(`exited with code ${code}`);
  }
}

