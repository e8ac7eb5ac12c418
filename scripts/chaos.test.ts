import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './lib/stack.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'rs-chaos-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm run chaos -- --target store', () => {
  it('SIGKILLs the store 5 times under load and every sale a POS got a 202 for is stored exactly once', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/chaos.ts', '--target', 'store', '--kills', '5', '--data-dir', dataDir], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 150_000,
    });
    const lines = run.stdout.trim().split('\n');
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    const match = /^chaos: target=store kills=5 accepted=(\d+) stored=(\d+) missing=0 duplicated=0$/.exec(lines.at(-1)!);
    expect(match, lines.at(-1)).not.toBeNull();
    const [accepted, stored] = match!.slice(1).map(Number) as [number, number];
    expect(accepted).toBeGreaterThan(50);
    // every POS request is retried until answered, so central holds exactly what the POS saw acked
    expect(stored).toBe(accepted);
    expect(lines).toContain('chaos: drained: every store log acked, every seq stored or dead-lettered, queue empty');
  }, 180_000);

  it('rejects a missing target naming the option', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/chaos.ts', '--kills', '3'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 90_000 });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("required option '--target <target>' not specified");
  });
});
