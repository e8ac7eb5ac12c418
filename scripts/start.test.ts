import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './lib/stack.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'rs-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm start', () => {
  it('runs central, the DAG runner and three store processes, moves sales through, and stops cleanly on Ctrl-C', async () => {
    // Every port 0: the OS picks (no race with other processes); the URLs are read from what it prints.
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, RS_DATA_DIR: dataDir, RS_ADMIN_PORT: '0', RS_GRPC_PORT: '0', RS_DAGS_PORT: '0', RS_STORE_PORT_BASE: '0', RS_SIMULATOR_RATE: '60' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const deadline = Date.now() + 100_000;
    while (!output.includes('status:') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(output).toContain('retail-sync is running on the embedded defaults');
    expect(output).toMatch(/status: nyc-001 seq \d+\/\d+ acked/);

    const printed = (label: string) => [...output.matchAll(new RegExp(`${label}\\s+(http://127\\.0\\.0\\.1:\\d+)`, 'g'))].map((match) => match[1]!);
    const [admin] = printed('central admin');
    const [dags] = printed('DAG runner');
    const storeUrls = [...output.matchAll(/(?:nyc|lon|tok)-001 (http:\/\/127\.0\.0\.1:\d+)\/v1\/sales/g)].map((match) => match[1]!);
    expect(storeUrls).toHaveLength(3);
    expect([admin, dags]).toEqual([expect.any(String), expect.any(String)]);
    for (const url of [admin, dags, ...storeUrls]) {
      expect((await fetch(`${url}/healthz`)).status, url).toBe(200);
    }
    const stores = (await (await fetch(`${admin}/v1/admin/stores`)).json()) as unknown;
    expect(JSON.stringify(stores)).toContain('nyc-001');

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('retail-sync: stopped');
  });
});
