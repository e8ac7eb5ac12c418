import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT } from './lib/stack.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'rs-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function freeConsecutivePorts(count: number): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base + count > 65_000) continue;
    const probes = await Promise.all(Array.from({ length: count }, (_, i) => fetch(`http://127.0.0.1:${base + i}/`).then(() => false, () => true)));
    if (probes.every(Boolean)) return base;
  }
}

describe('npm start', () => {
  it('runs central, the DAG runner and three store processes, moves sales through, and stops cleanly on Ctrl-C', async () => {
    const [admin, grpc, dags, storeBase] = [await freePort(), await freePort(), await freePort(), await freeConsecutivePorts(3)];
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, RS_DATA_DIR: dataDir, RS_ADMIN_PORT: String(admin), RS_GRPC_PORT: String(grpc), RS_DAGS_PORT: String(dags), RS_STORE_PORT_BASE: String(storeBase), RS_SIMULATOR_RATE: '60' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const deadline = Date.now() + 60_000;
    while (!output.includes('status:') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(output).toContain('retail-sync is running on the embedded defaults');
    expect(output).toMatch(/status: nyc-001 seq \d+\/\d+ acked/);

    for (const url of [`http://127.0.0.1:${admin}/healthz`, `http://127.0.0.1:${dags}/healthz`, ...[0, 1, 2].map((i) => `http://127.0.0.1:${storeBase + i}/healthz`)]) {
      expect((await fetch(url)).status, url).toBe(200);
    }
    const stores = (await (await fetch(`http://127.0.0.1:${admin}/v1/admin/stores`)).json()) as unknown;
    expect(JSON.stringify(stores)).toContain('nyc-001');

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('retail-sync: stopped');
  });
});
