import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './lib/stack.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'rs-demo-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm run demo', () => {
  it('ends with a reconcile line proving every accepted sale was stored or dead-lettered once and reached the warehouse', { timeout: 200_000 }, () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/demo.ts', '--stores', '3', '--events', '900', '--bad-rate', '0.1', '--retry-rate', '0.1', '--data-dir', dataDir],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 180_000 },
    );
    const lines = run.stdout.trim().split('\n');
    const last = lines.at(-1)!;
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    const match = /^reconcile: stores=3 accepted=(\d+) stored=(\d+) warehouse=(\d+) dead_lettered=(\d+) missing=0 duplicated=0$/.exec(last);
    expect(match, last).not.toBeNull();
    const [accepted, stored, warehouse, deadLettered] = match!.slice(1).map(Number) as [number, number, number, number];
    expect(accepted).toBeGreaterThan(700);
    expect(stored + deadLettered).toBe(accepted);
    expect(warehouse).toBe(stored);
    // a 10 % bad rate includes well-formed sales with an unknown SKU: they must land in the dead-letter store
    expect(deadLettered).toBeGreaterThan(0);
    // POS retries were sent and answered as duplicates, not counted as sales
    expect(lines.find((line) => line.startsWith('demo: simulated'))).toMatch(/pos_retries=[1-9]\d* duplicates=[1-9]/);
  });

  it('rejects a bad argument naming the option', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--bad-rate', '1.5'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("option '--bad-rate <r>' argument '1.5' is invalid. must be a number from 0 to 1");
  });
});
