import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './lib/stack.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'rs-chaos-kafka-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm run chaos -- --target kafka', () => {
  it('SIGKILLs and restarts the Kafka broker twice under load and every acked sale is stored exactly once', { timeout: 270_000 }, () => {
    expect(process.env.RS_KAFKA_BROKERS, 'RS_KAFKA_BROKERS is unset: npm test starts the servers and exports it').toBeTruthy();
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/chaos.ts', '--target', 'kafka', '--kills', '2', '--data-dir', dataDir], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 240_000,
    });
    const lines = run.stdout.trim().split('\n');
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(lines.some((line) => /^chaos: target=kafka profile=embedded stores=1 kills=2; central gRPC .*, Kafka topic rs_chaos_/.test(line))).toBe(true);
    const match = /^chaos: target=kafka kills=2 accepted=(\d+) stored=(\d+) missing=0 duplicated=0$/.exec(lines.at(-1)!);
    expect(match, lines.at(-1)).not.toBeNull();
    const [accepted, stored] = match!.slice(1).map(Number) as [number, number];
    expect(accepted).toBeGreaterThan(50);
    expect(stored).toBe(accepted);
  });
});
