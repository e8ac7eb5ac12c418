import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDagsConfig } from './config.ts';
import { startDagRunner, type DagRunner } from './main.ts';
import { InMemoryDeadLetters, InMemoryOrderStore, silentLogger } from './testing/index.ts';
import { dropTestDatabases, requireClickHouseUrl, testDatabaseName } from './warehouse/clickhouse/testing/clickhouse-test-env.ts';

// The shared ClickHouse is never stopped (others use it): the runner reaches it through a TCP relay of
// this test's own, and "ClickHouse goes away" is the relay closing, its open connections cut.
class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
  ) {}

  static async open(target: { host: string; port: number }): Promise<Relay> {
    const probe = createServer();
    const port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)));
    await new Promise((resolve) => probe.close(resolve));
    const relay = new Relay(target, port);
    await relay.start();
    return relay;
  }

  async start(): Promise<void> {
    if (this.server?.listening) return;
    this.server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (this.server?.listening) await new Promise((resolve) => this.server!.close(resolve));
  }
}

const clickhouse = new URL(requireClickHouseUrl());
let relay: Relay | undefined;
let runner: DagRunner | undefined;

afterAll(async () => {
  await relay?.start(); // reachable again, so close() finds its server
  await runner?.close();
  await relay?.stop();
  await dropTestDatabases();
});

async function readiness(url: string): Promise<{ status: number; body: { status: string; checks?: Record<string, string> } }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as { status: string; checks?: Record<string, string> } };
}

describe('DAG runner /readyz on ClickHouse', () => {
  it('turns 503 naming the warehouse while ClickHouse cannot be reached, and 200 again once it can', async () => {
    relay = await Relay.open({ host: clickhouse.hostname, port: Number(clickhouse.port) });
    const config = loadDagsConfig({
      RS_PROFILE: 'production',
      RS_CLICKHOUSE_URL: `http://127.0.0.1:${relay.port}`,
      RS_CLICKHOUSE_DATABASE: testDatabaseName(),
      RS_CLICKHOUSE_REQUEST_TIMEOUT_MS: '5000',
      RS_DAGS_PORT: '0',
      RS_DAG_TICK_CRON: '0 0 1 1 *',
    });
    runner = await startDagRunner(config, { orderStore: new InMemoryOrderStore(), deadLetters: new InMemoryDeadLetters(), logger: silentLogger() });
    expect(await readiness(runner.url)).toEqual({ status: 200, body: { status: 'ready', checks: { warehouse: 'ok', order_store: 'ok' } } });

    await relay.stop();
    const away = await readiness(runner.url);
    expect(away.status).toBe(503);
    expect(away.body.status).toBe('not_ready');
    expect(away.body.checks!.warehouse).not.toBe('ok');
    expect(away.body.checks!.order_store).toBe('ok');

    await relay.start();
    expect(await readiness(runner.url)).toEqual({ status: 200, body: { status: 'ready', checks: { warehouse: 'ok', order_store: 'ok' } } });
  });
});
