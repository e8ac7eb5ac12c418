/**
 * What the CLI tests share: a central as on production (derived dev keys off, so keys must be issued
 * over its admin API) and a runner that captures what a command printed.
 */
import { vi } from 'vitest';
import { loadCentralConfig, startCentral, type Central } from '@retail-sync/central';
import type { Logger } from '@retail-sync/libs/log';
import { runCli } from './index.ts';

export function startCentralIssuingKeys(dataDir: string, logger: Logger): Promise<Central> {
  return startCentral(loadCentralConfig({ RS_DATA_DIR: dataDir, RS_ADMIN_PORT: '0', RS_GRPC_PORT: '0', RS_DEV_DERIVED_KEYS: 'false', RS_CREDENTIAL_CACHE_TTL_MS: '0' }), { logger });
}

/** Runs `retail-sync --admin-url <central> …args`; returns the exit code and every line printed (stdout and stderr). */
export async function runCliCapturing(central: Central, ...args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
  try {
    return { code: await runCli(['--admin-url', central.adminUrl!, ...args]), lines };
  } finally {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  }
}
