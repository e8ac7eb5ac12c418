import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { connect as connectTls } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEV_STORE_KEY_SECRET, kafkaSigningKeyFor, storeKeyFor, type SaleEvent } from '@retail-sync/libs/domain';
import { ingestService, type ShipAck, type ShipBatch } from '@retail-sync/libs/proto';
import { DiskBuffer } from '../buffer/index.ts';
import { captureLogger, makeTempDir } from '../testing/capture-logger.ts';
import { saleEvent } from '../testing/sale-factory.ts';
import { ShipperCredentials } from './credentials.ts';
import { GrpcShipper } from './grpc-shipper.ts';

const STORE = 'nyc-001';
const DEV_CERTS = fileURLToPath(new URL('../../../scripts/dev-certs', import.meta.url));
const ISSUED = { keyId: 'rsk_00112233aabbccdd', secret: 'rss_issued-secret-of-nyc-001-for-tests' };

let certs: string;
let removeCerts: () => Promise<void>;

beforeAll(async () => {
  ({ dir: certs, cleanup: removeCerts } = await makeTempDir('certs'));
  execFileSync(DEV_CERTS, ['--out', certs, '--expired'], { stdio: 'pipe' });
});

afterAll(async () => {
  await removeCerts();
});

/** An Ingest endpoint over TLS that acks every event and remembers the metadata of each stream. */
async function tlsIngest(serverCert: 'central' | 'central-expired', requireClientCert = false) {
  const streams: grpc.Metadata[] = [];
  const server = new grpc.Server();
  server.addService(ingestService().service, {
    Ship: (call: grpc.ServerDuplexStream<ShipBatch, ShipAck>) => {
      streams.push(call.metadata);
      call.on('data', (batch: ShipBatch) =>
        call.write({ batch_id: batch.batch_id, acks: batch.events.map((event) => ({ event_id: event.event_id, seq: event.seq, outcome: 'ACCEPTED', reason_code: '', reason: '' })) }),
      );
      call.on('end', () => call.end());
    },
  });
  const credentials = grpc.ServerCredentials.createSsl(
    requireClientCert ? readFileSync(join(certs, 'ca.crt')) : null,
    [{ cert_chain: readFileSync(join(certs, `${serverCert}.crt`)), private_key: readFileSync(join(certs, `${serverCert}.key`)) }],
    requireClientCert,
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
  return { endpoint: `127.0.0.1:${port}`, streams, stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}

describe('ShipperCredentials', () => {
  it('presents the issued key with its id, else the derived dev key without one', () => {
    const issued = new ShipperCredentials({ storeId: STORE, keySecret: DEV_STORE_KEY_SECRET, issued: ISSUED });
    expect(issued.metadata().getMap()).toEqual({ 'x-store-id': STORE, 'x-store-key-id': ISSUED.keyId, authorization: `Bearer ${ISSUED.secret}` });
    expect(issued.kafkaSigning()).toEqual({ key: kafkaSigningKeyFor(ISSUED.secret), keyId: ISSUED.keyId });
    expect(issued.kafkaSigning().key).not.toBe(ISSUED.secret);
    const dev = ShipperCredentials.devDerived(STORE, DEV_STORE_KEY_SECRET);
    expect(dev.metadata().getMap()).toEqual({ 'x-store-id': STORE, authorization: `Bearer ${storeKeyFor(DEV_STORE_KEY_SECRET, STORE)}` });
    expect(dev.kafkaSigning()).toEqual({ key: storeKeyFor(DEV_STORE_KEY_SECRET, STORE), keyId: undefined });
    expect(dev.tlsEnabled).toBe(false);
  });

  it('fails at start when a PEM file is missing, naming the path', () => {
    expect(() => new ShipperCredentials({ storeId: STORE, keySecret: 'x', centralCaPath: '/no/such/ca.crt' })).toThrow(/\/no\/such\/ca\.crt/);
  });
});

describe('the gRPC shipper over TLS', () => {
  let buffer: DiskBuffer<SaleEvent>;
  let dir: string;
  let cleanup: () => Promise<void>;
  const running: Array<{ stop(): Promise<void> }> = [];

  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir('tls-shipper'));
    buffer = await DiskBuffer.open<SaleEvent>(dir);
    await buffer.append([1, 2, 3].map(() => (seq: number) => saleEvent(STORE, seq)));
  });

  afterEach(async () => {
    for (const item of running.splice(0).reverse()) await item.stop();
    await buffer.close();
    await cleanup();
  });

  function ship(endpoint: string, credentials: ShipperCredentials): GrpcShipper {
    const shipper = new GrpcShipper(buffer, {
      storeId: STORE, keySecret: DEV_STORE_KEY_SECRET, credentials, endpoints: [endpoint],
      batchMaxEvents: 100, batchMaxBytes: 1024 * 1024, ackTimeoutMs: 2_000, connectTimeoutMs: 500, backoffBaseMs: 20, backoffMaxMs: 100,
      authBackoffMs: 200, breakerFailures: 100, breakerHalfOpenMs: 100, idlePollMs: 50, logger: captureLogger('silent').logger,
    });
    running.push(shipper);
    shipper.start();
    return shipper;
  }

  const tls = (extra: { clientCert?: boolean } = {}) =>
    new ShipperCredentials({
      storeId: STORE, keySecret: DEV_STORE_KEY_SECRET, issued: ISSUED, centralCaPath: join(certs, 'ca.crt'),
      clientCert: extra.clientCert ? { certPath: join(certs, 'store-client.crt'), keyPath: join(certs, 'store-client.key') } : undefined,
    });

  async function eventually(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('completes the handshake with a certificate of its CA and ships with the issued key in the metadata', async () => {
    const central = await tlsIngest('central');
    running.push(central);
    ship(central.endpoint, tls());
    await eventually(() => buffer.stats().ackedSeq === 3);
    expect(central.streams[0]!.get('x-store-key-id')).toEqual([ISSUED.keyId]);
    expect(central.streams[0]!.get('authorization')).toEqual([`Bearer ${ISSUED.secret}`]);
  });

  it('refuses a central whose certificate has expired: no stream is opened, nothing is acked (the handshake fails with CERT_HAS_EXPIRED)', async () => {
    const central = await tlsIngest('central-expired');
    running.push(central);
    const shipper = ship(central.endpoint, tls());
    await eventually(() => (shipper.status().last_error ?? '') !== '');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(central.streams).toHaveLength(0);
    expect(buffer.stats().ackedSeq).toBe(0);
    expect(shipper.status().last_error).toMatch(/cannot connect/);
    // grpc-js reports only "failed to connect"; the same handshake by hand shows the reason.
    const [host, port] = central.endpoint.split(':');
    const reason = await new Promise<string>((resolve) => {
      const socket = connectTls({ host, port: Number(port), ca: readFileSync(join(certs, 'ca.crt')), ALPNProtocols: ['h2'] });
      socket.on('secureConnect', () => (socket.destroy(), resolve('accepted')));
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    expect(reason).toBe('CERT_HAS_EXPIRED');
  });

  it('with mutual TLS, ships only when it presents a client certificate of the CA', async () => {
    const central = await tlsIngest('central', true);
    running.push(central);
    const without = ship(central.endpoint, tls());
    await eventually(() => (without.status().last_error ?? '') !== '');
    expect(central.streams).toHaveLength(0);
    await without.stop();
    ship(central.endpoint, tls({ clientCert: true }));
    await eventually(() => buffer.stats().ackedSeq === 3);
  });
});
