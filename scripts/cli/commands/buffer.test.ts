import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startStore, storeConfig, type RunningStore } from '@retail-sync/store';
import { runCli } from '../index.ts';

let dataDir: string;
let storeDir: string;
let printed: string[];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'rs-cli-buffer-'));
  storeDir = join(dataDir, 'store', 'nyc-001');
  printed = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void printed.push(line));
  process.exitCode = undefined;
});

afterEach(async () => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

const sale = (receiptNo: string) => ({
  terminal_id: 't1',
  receipt_no: receiptNo,
  occurred_at: '2026-03-08T09:15:00-05:00',
  type: 'sale',
  currency: 'USD',
  lines: [{ sku: 'milk-1l', qty: 1, unit_price_minor: 149, discount_minor: 0 }],
  tax_minor: 0,
  total_minor: 149,
  payment_method: 'card',
});

/** A running store (not shipping) that took 3 POSTs: 3 writes, each synced on its own. */
async function runningStore(): Promise<RunningStore> {
  const store = await startStore(storeConfig({ RS_STORE_PORT: 0, RS_STORE_DATA_DIR: storeDir, RS_LOG_LEVEL: 'silent' }), { ship: false });
  for (const receipt of ['R1', 'R2', 'R3']) {
    const response = await fetch(`${store.url}/v1/sales`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sale(receipt)) });
    expect(response.status).toBe(202);
  }
  return store;
}

async function snapshot(): Promise<Map<string, string>> {
  const names = await readdir(storeDir);
  return new Map(await Promise.all(names.map(async (name) => [name, (await readFile(join(storeDir, name))).toString('base64')] as const)));
}

describe('retail-sync buffer inspect', () => {
  it('prints segments, counts and cursor of a healthy buffer next to a running store, and exits 0', async () => {
    const running = await runningStore();
    expect(await runCli(['buffer', 'inspect', dataDir])).toBe(0);
    const text = printed.join('\n');
    expect(text).toContain('cursor: none (nothing acked yet)');
    expect(text).toContain('segments: 1, records: 3');
    expect(text).toContain('first corrupt offset: none');
    await running.close();
  });

  it('reports damage and its first corrupt offset, exits 1, and changes no file', async () => {
    await (await runningStore()).close();
    const [segment] = (await readdir(storeDir)).filter((name) => name.startsWith('segment-'));
    const bytes = await readFile(join(storeDir, segment!));
    bytes[16 + 40]! ^= 0x08; // payload of the first record, which is followed by later writes
    await writeFile(join(storeDir, segment!), bytes);
    const before = await snapshot();

    expect(await runCli(['--json', 'buffer', 'inspect', storeDir])).toBe(1);
    const report = JSON.parse(printed.join('\n')) as { firstCorrupt: { segment: string; offset: number }; corrupt: boolean };
    expect(report).toMatchObject({ corrupt: true, firstCorrupt: { segment, offset: 16 } });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a directory that holds no buffer with a usage error', async () => {
    expect(await runCli(['buffer', 'inspect', dataDir])).toBe(2);
  });
});
