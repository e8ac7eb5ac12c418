/**
 * The store's production form cannot rot: `npm run build`'s bundle is built here, started on plain
 * node (no tsx) with the production heap flags, and must answer /healthz and durably take a sale (the
 * native CRC32C addon and the runtime .proto are found from the bundle); the Dockerfile's store target
 * must run that bundle with those flags.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { parse } from 'yaml';
import { buildStoreBundle, STORE_BUNDLE_FILE, STORE_NODE_OPTIONS, STORE_PROVISION_FILE } from './build.ts';
import { catalogStore, saleMaker } from './bench/pos-load.ts';
import { freePort, REPO_ROOT, spawnServer } from './lib/stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'rs-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run build (store bundle)', () => {
  it('bundles a store that plain node starts with the production heap flags, answers /healthz, takes a sale and stops cleanly', async () => {
    const outDir = join(dir, 'dist');
    const dataDir = join(dir, 'data');
    // the bundle finds its external packages through node_modules, as it does in store/dist and in the image
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
    const { bundle, bytes } = await buildStoreBundle(outDir);
    expect(bundle).toBe(join(outDir, STORE_BUNDLE_FILE));
    expect(bytes).toBeGreaterThan(0);

    const store = catalogStore(0);
    const logFile = join(dir, 'store.log');
    const nowhere = `127.0.0.1:${await freePort()}`;
    const server = await spawnServer({
      entry: bundle,
      nodeArgs: [],
      cwd: dir,
      inheritEnv: false,
      ports: { intake: undefined },
      healthPort: 'intake',
      logFile,
      label: 'the bundled store',
      timeoutMs: 20_000,
      env: (ports) => ({
        PATH: process.env.PATH,
        NODE_OPTIONS: STORE_NODE_OPTIONS,
        RS_STORE_ID: store.store_id,
        RS_STORE_PORT: String(ports.intake),
        RS_DATA_DIR: dataDir,
        // nobody listens there: the sale stays buffered
        RS_CENTRAL_GRPC_ENDPOINTS: nowhere,
      }),
    });
    const url = `http://127.0.0.1:${server.ports.intake}`;
    try {
      const sale = saleMaker(store)(1);
      const response = await fetch(`${url}/v1/sales`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sales: [sale] }) });
      expect(response.status).toBe(202);
      const answer = (await response.json()) as { results: Array<{ status: string }> };
      expect(answer.results.map((result) => result.status)).toEqual(['accepted']);
      const status = (await (await fetch(`${url}/v1/status`)).json()) as { buffered_records: number; last_seq: number };
      expect(status).toMatchObject({ buffered_records: 1, last_seq: 1 });
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited, readFileSync(logFile, 'utf8')).toBe(0);
    expect(readFileSync(logFile, 'utf8')).toContain('store stopped');
  });

  it('is what the Dockerfile runs for the store, with the production heap flags', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const storeTarget = /^FROM \S+ AS store$([\s\S]*?)(?=^FROM |(?![\s\S]))/m.exec(dockerfile)?.[1] ?? '';
    expect(storeTarget).toContain(`NODE_OPTIONS="${STORE_NODE_OPTIONS}"`);
    expect(storeTarget).toContain(`CMD ["node", "store/dist/${STORE_BUNDLE_FILE}"]`);
    expect(storeTarget).not.toContain('tsx');
  });

  it('bundles the identity-pool provisioning that docker-compose\'s store-pool-init runs from the store image (no tsx there)', () => {
    const provision = join(dir, 'dist', STORE_PROVISION_FILE);
    expect(existsSync(provision)).toBe(true);
    const pool = join(dir, 'pool');
    const run = spawnSync(process.execPath, [provision, '--dir', pool, '--stores', 'nyc-001:America/New_York'], { cwd: dir, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('created=nyc-001');
    expect(existsSync(join(pool, 'nyc-001', 'identity.json'))).toBe(true);
    const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { command?: string[] }> };
    expect(compose.services['store-pool-init']?.command?.slice(0, 2)).toEqual(['node', `store/dist/${STORE_PROVISION_FILE}`]);
  });
});
