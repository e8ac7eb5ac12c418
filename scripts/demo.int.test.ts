import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './lib/stack.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'rs-demo-prod-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function runDemo(transport: 'grpc' | 'kafka') {
  for (const key of ['RS_REDIS_URL', 'RS_CASSANDRA_CONTACT_POINTS', 'RS_CLICKHOUSE_URL', 'RS_KAFKA_BROKERS']) {
    expect(process.env[key], `${key} is unset: npm test starts the servers and exports it`).toBeTruthy();
  }
  return spawnSync(
    process.execPath,
    ['--import', 'tsx', 'scripts/demo.ts', '--profile', 'production', '--transport', transport, '--stores', '3', '--events', '900', '--bad-rate', '0.1', '--data-dir', join(dataDir, transport)],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 },
  );
}

describe('npm run demo -- --profile production', () => {
  it('over Kafka: every store ships to the broker and central consumes it without loss or doubles', { timeout: 330_000 }, () => {
    const run = runDemo('kafka');
    const lines = run.stdout.trim().split('\n');
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(lines.some((line) => line.startsWith('demo: stores ship over Kafka to topic rs_demo_'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^reconcile: stores=3 accepted=\d+ stored=\d+ warehouse=\d+ dead_lettered=[1-9]\d* missing=0 duplicated=0$/);
  });

  it('reconciles a run through BullMQ, Cassandra and ClickHouse with nothing missing or doubled', { timeout: 330_000 }, () => {
    const run = runDemo('grpc');
    const lines = run.stdout.trim().split('\n');
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(lines.some((line) => line.startsWith('demo: production profile: BullMQ prefix, Cassandra keyspace and ClickHouse database rs_demo_'))).toBe(true);
    const match = /^reconcile: stores=3 accepted=(\d+) stored=(\d+) warehouse=(\d+) dead_lettered=(\d+) missing=0 duplicated=0$/.exec(lines.at(-1)!);
    expect(match, lines.at(-1)).not.toBeNull();
    const [accepted, stored, warehouse, deadLettered] = match!.slice(1).map(Number) as [number, number, number, number];
    expect(stored + deadLettered).toBe(accepted);
    expect(warehouse).toBe(stored);
    expect(deadLettered).toBeGreaterThan(0);
  });
});
