import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeQueueContract, eventually, queuedEventFixture } from '../queue.contract.ts';
import { EmbeddedQueue } from './queue.ts';

const LEASE_MS = 300;

describeQueueContract('embedded (DuckDB file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-queue-'));
  const path = join(dir, 'queue.duckdb');
  const open = () => EmbeddedQueue.open({ path, leaseMs: LEASE_MS, pollIntervalMs: 10 });
  const queue = await open();
  return {
    queue,
    reopen: open,
    crashConsumers: (handle) => (handle as EmbeddedQueue).abandonConsumers(),
    stallAfterMs: LEASE_MS,
    cleanup: async () => {
      await queue.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('EmbeddedQueue', () => {
  it('keeps an enqueued job when the process is killed right after enqueue resolved', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-queue-'));
    try {
      const path = join(dir, 'queue.duckdb');
      const child = fileURLToPath(new URL('./enqueue-then-kill.fixture.ts', import.meta.url));
      const result = spawnSync(process.execPath, ['--import', 'tsx', child, path], { encoding: 'utf8', timeout: 60_000 });
      expect(result.signal).toBe('SIGKILL');
      const eventId = result.stdout.trim();
      expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
      const queue = await EmbeddedQueue.open({ path });
      try {
        expect(await queue.counts()).toMatchObject({ waiting: 1 });
        expect(await queue.enqueue([queuedEventFixture({ event_id: eventId })])).toEqual(['duplicate']);
      } finally {
        await queue.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('forgets completed ids once they leave the dedupe window', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-queue-'));
    const queue = await EmbeddedQueue.open({ path: join(dir, 'queue.duckdb'), dedupeWindowMs: 200, pollIntervalMs: 5 });
    try {
      const event = queuedEventFixture();
      await queue.enqueue([event]);
      let processed = 0;
      const consumer = queue.consume(async () => void (processed += 1), async () => undefined, { concurrency: 1, attempts: 1, backoffMs: 1 });
      await eventually(() => processed === 1);
      await eventually(async () => (await queue.counts()).active === 0);
      expect(await queue.enqueue([event])).toEqual(['duplicate']);
      await new Promise((resolve) => setTimeout(resolve, 250));
      await queue.prune();
      expect(await queue.enqueue([event])).toEqual(['accepted']);
      await eventually(() => processed === 2);
      await consumer.close();
    } finally {
      await queue.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drains thousands of events with batched claims and completions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-queue-'));
    const queue = await EmbeddedQueue.open({ path: join(dir, 'queue.duckdb'), pollIntervalMs: 5 });
    try {
      const total = 5_000;
      const events = Array.from({ length: total }, (_, index) => queuedEventFixture({ seq: index + 1 }));
      const seen = new Set<string>();
      const consumer = queue.consume(async (job) => void seen.add(job.event_id), async () => undefined, { concurrency: 64, attempts: 3, backoffMs: 10 });
      for (let index = 0; index < total; index += 500) await queue.enqueue(events.slice(index, index + 500));
      await eventually(async () => seen.size === total && (await queue.counts()).active === 0, 60_000);
      await consumer.close();
      expect(await queue.counts()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    } finally {
      await queue.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
