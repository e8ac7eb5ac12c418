import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, spawnServer } from './spawn-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'rs-spawn-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A minimal server: /healthz answers with its pid, like every retail-sync process; FAIL_FAST=1 exits at once.
const entry = join(dir, 'server.mjs');
writeFileSync(
  entry,
  `import { createServer } from 'node:http';
if (process.env.FAIL_FAST === '1') process.exit(3);
createServer((req, res) => res.end(JSON.stringify({ status: 'ok', pid: process.pid }))).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`,
);

function stranger(port: number): Promise<Server> {
  const server = createServer((_req, res) => res.end(JSON.stringify({ status: 'ok', pid: 1 })));
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

describe('spawnServer', () => {
  it('waits for the child itself to answer and reports the port it bound', async () => {
    const server = await spawnServer({ cwd: dir, entry, nodeArgs: [], ports: { http: undefined }, healthPort: 'http', logFile: join(dir, 'a.log'), label: 'test server', env: (ports) => ({ PORT: String(ports.http) }) });
    try {
      const body = (await (await fetch(`http://127.0.0.1:${server.ports.http}/healthz`)).json()) as { pid: number };
      expect(body.pid).toBe(server.pid);
    } finally {
      await server.stop();
    }
    expect(await server.exited).toBe(0);
  });

  it('does not take a stranger answering on a given port for the child: the child could not bind, and the start fails naming it', async () => {
    const port = await freePort();
    const other = await stranger(port);
    try {
      await expect(
        spawnServer({ cwd: dir, entry, nodeArgs: [], ports: { http: port }, healthPort: 'http', logFile: join(dir, 'b.log'), label: 'test server', timeoutMs: 20_000, env: (ports) => ({ PORT: String(ports.http) }) }),
      ).rejects.toThrow(/test server exited with code 1; see .*b\.log/);
    } finally {
      other.close();
    }
  });

  it('is not held up by a stranger on the port that accepts connections and never answers', async () => {
    const port = await freePort();
    const silent = createNetServer(() => undefined); // accepts, reads nothing, writes nothing
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    const started = Date.now();
    try {
      await expect(
        spawnServer({ cwd: dir, entry, nodeArgs: [], ports: { http: port }, healthPort: 'http', logFile: join(dir, 'e.log'), label: 'test server', timeoutMs: 60_000, env: (ports) => ({ PORT: String(ports.http) }) }),
      ).rejects.toThrow(/test server exited with code 1; see .*e\.log/);
      // The child's EADDRINUSE exit is noticed at the next bounded health request, long before the start's own limit.
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      silent.close();
    }
  });

  it('starts again on fresh ports when the child dies before answering on ports it picked', async () => {
    const attempts: number[] = [];
    const server = await spawnServer({
      cwd: dir,
      entry,
      nodeArgs: [],
      ports: { http: undefined },
      healthPort: 'http',
      logFile: join(dir, 'c.log'),
      label: 'test server',
      env: (ports) => {
        attempts.push(ports.http!);
        return { PORT: String(ports.http), FAIL_FAST: attempts.length === 1 ? '1' : '0' };
      },
    });
    await server.stop();
    expect(attempts).toHaveLength(2);
  });

  it('gives up after five starts that all die', async () => {
    let attempts = 0;
    await expect(
      spawnServer({ cwd: dir, entry, nodeArgs: [], ports: { http: undefined }, healthPort: 'http', logFile: join(dir, 'd.log'), label: 'test server', env: () => ((attempts += 1), { FAIL_FAST: '1' }) }),
    ).rejects.toThrow(/test server exited with code 3/);
    expect(attempts).toBe(5);
  });
});
