import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../index.ts';

// A fake admin API (a port may be faked in a unit test): three letters of one reason, one of which has
// no complete envelope and is refused with 409, as central's replay answers for it.
const letters = ['dl-1', 'dl-2', 'dl-3'].map((id) => ({ id, event_id: id, store_id: 'nyc-001', seq: 1, stage: 'worker', reason_code: 'RS_ERR_UNKNOWN_PRODUCT', reason: 'x', attempts: 1, payload: '{}', created_at: '2026-03-08T10:00:00.000Z', replayed_at: null }));
const replayed: string[] = [];
let failWith500 = false;
let server: Server;
let adminUrl: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url!, 'http://x');
    const send = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (request.method === 'GET' && url.pathname === '/v1/admin/dead-letters') return send(200, { dead_letters: letters.filter((letter) => !replayed.includes(letter.id)) });
    const id = /^\/v1\/admin\/dead-letters\/([^/]+)\/replay$/.exec(url.pathname)?.[1];
    if (request.method === 'POST' && id) {
      if (failWith500) return send(503, { error: { code: 'RS_ERR_QUEUE_UNAVAILABLE', message: 'redis down', retriable: true } });
      if (id === 'dl-2') return send(409, { error: { code: 'RS_ERR_NOT_REPLAYABLE', message: `dead letter '${id}' has no complete envelope`, retriable: false } });
      replayed.push(id);
      return send(202, { id, event_id: id, outcome: 'accepted', replayed_at: '2026-03-08T11:00:00.000Z' });
    }
    return send(404, { error: { code: 'RS_ERR_NOT_FOUND', message: 'no route' } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  adminUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

async function cli(...args: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void out.push(parts.join(' ')));
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  const code = await runCli(['--admin-url', adminUrl, ...args]);
  process.exitCode = undefined;
  vi.restoreAllMocks();
  return { code, out };
}

describe('retail-sync dlq replay --reason', () => {
  it('replays letter by letter: a refused letter is reported with its code and the others still go (exit 1)', async () => {
    const run = await cli('dlq', 'replay', '--reason', 'RS_ERR_UNKNOWN_PRODUCT');
    expect(run.out).toEqual([
      'replayed dl-1 outcome=accepted',
      "not replayed dl-2: RS_ERR_NOT_REPLAYABLE dead letter 'dl-2' has no complete envelope",
      'replayed dl-3 outcome=accepted',
      'dlq replay: reason=RS_ERR_UNKNOWN_PRODUCT matched=3 replayed=2 not_replayable=1',
    ]);
    expect(run.code).toBe(1);
    expect(replayed).toEqual(['dl-1', 'dl-3']);
  });

  it('stops with exit 3 when the admin API fails, so a rerun continues where it stopped', async () => {
    failWith500 = true;
    expect((await cli('dlq', 'replay', '--reason', 'RS_ERR_UNKNOWN_PRODUCT')).code).toBe(3);
    failWith500 = false;
  });
});
