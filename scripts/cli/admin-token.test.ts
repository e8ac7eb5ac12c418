import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadCentralConfig, startCentral, type Central } from '@retail-sync/central';
import { loadDagsConfig, startDagRunner, type DagRunner } from '@retail-sync/dags';
import { createLogger } from '@retail-sync/libs/log';
import { runCli } from './index.ts';

// Central and the DAG runner with RS_ADMIN_TOKEN set, as an operator would run them: the CLI gets in
// with the token from its environment and is refused without it, and the dashboard's calls to the
// runner carry the token on.
const TOKEN = 'ops-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'rs-cli-admin-token-'));
const logger = createLogger({ service: 'cli-admin-token-test', level: 'silent' });
let central: Central;
let dags: DagRunner;

beforeAll(async () => {
  central = await startCentral(loadCentralConfig({ RS_DATA_DIR: dir, RS_ADMIN_PORT: '0', RS_GRPC_PORT: '0', RS_ADMIN_TOKEN: TOKEN, RS_DAGS_URL: 'http://127.0.0.1:1' }), { logger });
  dags = await startDagRunner(loadDagsConfig({ RS_WAREHOUSE_PATH: ':memory:', RS_DAGS_PORT: '0', RS_ADMIN_TOKEN: TOKEN }), { orderStore: central.orderStore, deadLetters: central.deadLetters, logger });
});

afterAll(async () => {
  await dags.close();
  await central.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
  const code = await runCli(['--admin-url', central.adminUrl!, '--dags-url', dags.url, ...args]);
  return { code, out: lines.join('\n') };
}

describe('RS_ADMIN_TOKEN', () => {
  it('refuses the CLI without the token (exit 2, naming the token) on central and on the DAG runner', async () => {
    vi.stubEnv('RS_ADMIN_TOKEN', '');
    const central401 = await cli('dlq', 'list');
    expect(central401.code).toBe(2);
    expect(central401.out).toContain('answered 401: GET /v1/admin/dead-letters needs the admin token');
    const dags401 = await cli('dag', 'runs');
    expect(dags401.code).toBe(2);
    expect(dags401.out).toContain('answered 401: GET /v1/dags/runs needs the admin token');
  });

  it('lets the CLI in with the token from its environment', async () => {
    vi.stubEnv('RS_ADMIN_TOKEN', TOKEN);
    expect((await cli('dlq', 'list')).code).toBe(0);
    expect((await cli('dag', 'runs')).code).toBe(0);
  });

  it('keeps probes and metrics open, and a browser logs in to the dashboard with the token as password', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${central.adminUrl}${path}`)).status, path).toBe(200);
    const page = await fetch(`${central.adminUrl}/dashboard`);
    expect(page.status).toBe(401);
    expect(page.headers.get('www-authenticate')).toContain('Basic realm="retail-sync central"');
    const login = `Basic ${Buffer.from(`ops:${TOKEN}`).toString('base64')}`;
    expect((await fetch(`${central.adminUrl}/dashboard`, { headers: { authorization: login } })).status).toBe(200);
  });
});

describe('the dashboard passing the token on', () => {
  let proxied: Central;
  beforeAll(async () => {
    proxied = await startCentral(loadCentralConfig({ RS_DATA_DIR: join(dir, 'proxied'), RS_ADMIN_PORT: '0', RS_GRPC_PORT: '0', RS_ADMIN_TOKEN: TOKEN, RS_DAGS_URL: dags.url }), { logger });
  });
  afterAll(() => proxied.close());

  it('asks the DAG runner with the token: runs are listed, not refused', async () => {
    const answer = await fetch(`${proxied.adminUrl}/v1/admin/dags/runs`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toHaveProperty('runs');
  });
});
