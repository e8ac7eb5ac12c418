/** Process lifecycle shared by every service entry point: one graceful stop on SIGINT or SIGTERM, readiness probes. */
import type { Logger } from 'pino';

export { probeDependencies, type Readiness } from './readiness.ts';
export { adminAuthHeaders, OPEN_PATHS, presentedToken, requireAdminToken } from './admin-auth.ts';
export { freePort, spawnServer, type ServerProcess, type ServerSpawnOptions } from './spawn-server.ts';

/**
 * Calls `stop` once on the first SIGINT/SIGTERM, then exits 0 (1 when stopping failed). A second
 * signal while stopping is ignored: a stop that hangs is the orchestrator's to SIGKILL, and every
 * service is crash-safe under SIGKILL.
 */
export function stopOnSignals(logger: Logger, stop: () => Promise<unknown>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'error while stopping');
          process.exit(1);
        },
      );
    });
  }
}
