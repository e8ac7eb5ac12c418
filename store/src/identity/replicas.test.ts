/**
 * Scalable store replicas as real processes (`tsx store/src/bin.ts` with RS_STORE_IDENTITY_POOL), the
 * way `docker compose up --scale store=N` runs them, shipping to a fake central ingest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeIngestServer } from '../shipper/fake-ingest-server.ts';
import { makeTempDir } from '../testing/capture-logger.ts';
import { validSale } from '../testing/sale-factory.ts';
import { CLAIM_FILE, LOCK_DIR, readClaim, type ClaimRecord } from './identity-file.ts';
import { provisionPool } from './provision.ts';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SECRET = 'replicas-test-store-key-secret';
const STORES = ['nyc-001', 'lon-001'];

interface Replica {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

let pool: string;
let cleanup: () => Promise<void>;
let ingest: FakeIngestServer;
const replicas: Replica[] = [];

function startReplica(grpcEndpoint: string, env: Record<string, string> = {}): Replica {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'store/src/bin.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      RS_STORE_IDENTITY_POOL: pool,
      RS_STORE_IDENTITY_STALE_MS: '2000',
      RS_STORE_IDENTITY_WAIT_MS: '0',
      RS_STORE_HOST: '127.0.0.1',
      RS_STORE_PORT: '0',
      RS_DATA_DIR: join(pool, '..', 'unused-data'),
      RS_STORE_KEY_SECRET: SECRET,
      RS_CENTRAL_GRPC_ENDPOINTS: grpcEndpoint,
      RS_SHIP_BACKOFF_BASE_MS: '50',
      RS_SHIP_BACKOFF_MAX_MS: '200',
      RS_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const log = createWriteStream(join(pool, '..', `replica-${child.pid}.log`));
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      log.write(chunk);
    });
  }
  const replica: Replica = { child, exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))), output: () => output };
  replicas.push(replica);
  return replica;
}

/** The identity a replica claimed and announced (claim.json names its pid and intake URL). */
async function claimOf(replica: Replica): Promise<ClaimRecord> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    for (const storeId of STORES) {
      const claim = await readClaim(join(pool, storeId));
      if (claim && claim.pid === replica.child.pid && claim.url && !claim.released_at) return claim;
    }
    if (replica.child.exitCode !== null) throw new Error(`replica exited with ${replica.child.exitCode}: ${replica.output()}`);
    await sleep(100);
  }
  throw new Error(`replica ${replica.child.pid} announced no claim: ${replica.output()}`);
}

async function postSales(url: string, count: number, prefix: string): Promise<string[]> {
  const sales = Array.from({ length: count }, (_, i) => validSale(`${prefix}-${i}`));
  const response = await fetch(`${url}/v1/sales`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sales }) });
  expect(response.status).toBe(202);
  const { results } = (await response.json()) as { results: Array<{ status: string; event_id: string }> };
  expect(results.every((result) => result.status === 'accepted')).toBe(true);
  return results.map((result) => result.event_id);
}

beforeAll(async () => {
  ({ dir: pool, cleanup } = await makeTempDir('replicas'));
  pool = join(pool, 'pool');
  await provisionPool(pool, [
    { storeId: 'nyc-001', timezone: 'America/New_York' },
    { storeId: 'lon-001', timezone: 'Europe/London' },
  ]);
  ingest = await FakeIngestServer.start({ secret: SECRET });
});

afterAll(async () => {
  for (const replica of replicas) if (replica.child.exitCode === null && replica.child.signalCode === null) replica.child.kill('SIGKILL');
  await Promise.all(replicas.map((replica) => replica.exited));
  await ingest.stop();
  await cleanup();
});

describe('store replicas on one identity pool', () => {
  it("claim different shops; after kill -9 a new replica takes over the dead one's shop and ships its buffered sales", { timeout: 120_000 }, async () => {
    // Central is unreachable at first, so accepted sales stay in the replicas' buffers.
    const unreachable = '127.0.0.1:1';
    const [first, second] = [startReplica(unreachable), startReplica(unreachable)];
    const [firstClaim, secondClaim] = await Promise.all([claimOf(first), claimOf(second)]);
    expect([firstClaim.store_id, secondClaim.store_id].sort()).toEqual(['lon-001', 'nyc-001']);

    const accepted = await postSales(firstClaim.url!, 25, 'first');
    await postSales(secondClaim.url!, 5, 'second');

    // A pool with every identity held turns a further replica away, naming the pool.
    const extra = startReplica(unreachable);
    expect(await extra.exited).toBe(1);
    expect(extra.output()).toContain('RS_ERR_IDENTITY_POOL_EXHAUSTED');
    expect(extra.output()).toContain(pool);

    first.child.kill('SIGKILL');
    await first.exited;

    // The replacement waits for the dead replica's lock to go stale, claims that shop (not the live
    // replica's) and drains its buffer to central.
    const replacement = startReplica(ingest.endpoint, { RS_STORE_IDENTITY_WAIT_MS: '30000' });
    const replacementClaim = await claimOf(replacement);
    expect(replacementClaim.store_id).toBe(firstClaim.store_id);
    for (let attempt = 0; attempt < 300 && !accepted.every((id) => ingest.distinctEventIds.has(id)); attempt += 1) await sleep(100);
    expect(accepted.filter((id) => !ingest.distinctEventIds.has(id))).toEqual([]);
    expect(new Set(ingest.received.map((event) => event.store_id))).toEqual(new Set([firstClaim.store_id]));
    expect(ingest.authFailures).toEqual([]);
    const status = (await (await fetch(`${replacementClaim.url}/v1/status`)).json()) as { store_id: string; last_seq: number };
    expect(status).toMatchObject({ store_id: firstClaim.store_id, last_seq: 25 });

    // The live replica kept its shop throughout.
    expect(second.child.exitCode).toBeNull();
    expect((JSON.parse(await readFile(join(pool, secondClaim.store_id, CLAIM_FILE), 'utf8')) as ClaimRecord).pid).toBe(second.child.pid);

    // A clean stop gives the identity back.
    replacement.child.kill('SIGTERM');
    expect(await replacement.exited).toBe(0);
    await expect(stat(join(pool, firstClaim.store_id, LOCK_DIR))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
