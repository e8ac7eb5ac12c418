/**
 * The real servers and tools a bench run needs. Like scripts/test: servers already up are used and
 * left up; the ones this run starts (scripts/services up) it stops afterwards, and nothing else.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../lib/stack.ts';

export type Server = 'redis' | 'clickhouse' | 'kafka' | 'cassandra';
export const SERVERS: readonly Server[] = ['redis', 'clickhouse', 'kafka', 'cassandra'];

const SERVICES_SCRIPT = join(REPO_ROOT, 'scripts/services');

function isUp(server: Server): boolean {
  return spawnSync(SERVICES_SCRIPT, ['status', server], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts the named servers that are down, and loads their connection variables into process.env
 * (values already set in the environment win). Returns a stop for what it started.
 */
export function ensureServers(needed: readonly Server[], log: (line: string) => void): { started: Server[]; stop(): void } {
  const started = needed.filter((server) => !isUp(server));
  if (started.length > 0) {
    log(`servers: starting ${started.join(', ')} (scripts/services up)`);
    const up = spawnSync(SERVICES_SCRIPT, ['up', ...started], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (up.status !== 0) throw new Error(`scripts/services up ${started.join(' ')} failed (exit ${up.status})`);
  }
  if (needed.length > 0) {
    const env = execFileSync(SERVICES_SCRIPT, ['env'], { encoding: 'utf8' });
    for (const line of env.split('\n')) {
      const match = /^(?:export\s+)?(RS_[A-Z0-9_]+)=(.*)$/.exec(line.trim());
      if (match) process.env[match[1]!] ??= match[2]!.replace(/^['"]|['"]$/g, '');
    }
  }
  return {
    started,
    stop() {
      if (started.length === 0) return;
      log(`servers: stopping ${started.join(', ')}, which this run started`);
      spawnSync(SERVICES_SCRIPT, ['down', ...started], { stdio: ['ignore', 'inherit', 'inherit'] });
    },
  };
}

/** kcat from Debian's package, installed once if missing; throws when it cannot be installed. */
export function ensureKcat(log: (line: string) => void): string {
  const which = () => spawnSync('sh', ['-c', 'command -v kcat'], { encoding: 'utf8' }).stdout.trim();
  if (which()) return which();
  log('kcat: not installed; apt-get install -y kcat');
  const install = spawnSync('sh', ['-c', 'apt-get install -y kcat || (apt-get update && apt-get install -y kcat)'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (install.status !== 0 || !which()) {
    throw new Error('kcat is missing and `apt-get install -y kcat` failed (needs root and a reachable Debian mirror); install kcat, then run the bench again');
  }
  return which();
}
