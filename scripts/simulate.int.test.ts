import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './lib/stack.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'rs-simulate-prod-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm run simulate -- --profile production', () => {
  it('a second worker process started mid-run takes jobs, and nothing is lost or doubled', { timeout: 450_000 }, () => {
    for (const key of ['RS_REDIS_URL', 'RS_CASSANDRA_CONTACT_POINTS', 'RS_CLICKHOUSE_URL']) {
      expect(process.env[key], `${key} is unset: npm test starts the servers and exports it`).toBeTruthy();
    }
    // Traffic goes on well after the second worker is asked for, so it joins a queue still being fed.
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/simulate.ts', '--profile', 'production', '--stores', '3', '--rate', '30', '--duration', '25', '--workers', '1', '--add-worker-after', '2', '--bad-rate', '0.05', '--data-dir', dataDir],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 420_000 },
    );
    const lines = run.stdout.trim().split('\n');
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(lines.some((line) => line.startsWith('simulate: production profile: BullMQ prefix, Cassandra keyspace and ClickHouse database rs_sim_'))).toBe(true);
    expect(lines.some((line) => /^simulate: worker process 2 joined at t=\d+s/.test(line))).toBe(true);

    const perWorker = lines.find((line) => line.startsWith('workers: jobs per worker process '));
    const jobs = perWorker!.replace('workers: jobs per worker process ', '').split(' ').map(Number);
    expect(jobs).toHaveLength(2);
    expect(jobs[1], 'the worker that joined mid-run finished jobs').toBeGreaterThan(0);

    const match = /^reconcile: stores=3 accepted=(\d+) stored=(\d+) warehouse=(\d+) dead_lettered=(\d+) missing=0 duplicated=0$/.exec(lines.at(-1)!);
    expect(match, lines.at(-1)).not.toBeNull();
    const [accepted, stored, warehouse, deadLettered] = match!.slice(1).map(Number) as [number, number, number, number];
    expect(stored + deadLettered).toBe(accepted);
    expect(warehouse).toBe(stored);
    // Every job either stored its sale or dead-lettered it: the two workers together finished each once at least.
    expect(jobs[0]! + jobs[1]!).toBeGreaterThanOrEqual(stored);
  });
});
