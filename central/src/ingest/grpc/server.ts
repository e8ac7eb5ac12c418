/**
 * gRPC ingest: serves retailsync.v1.Ingest/Ship and the standard grpc.health.v1 service.
 *
 * Invariants: a stream is authenticated from its metadata before any batch is read — a failed check
 * ends it with UNAUTHENTICATED and nothing is enqueued — and again before each batch (a cached check),
 * so a revoked or expired key stops a long-lived stream within the verifier's cache TTL. With `tls`
 * the port speaks only TLS (and, with a client CA, demands a client certificate signed by it). Batches of one stream are handled
 * strictly one after another, so a store's events keep their order. On close, each stream finishes
 * the batch in flight and writes its ack before it is ended (UNAVAILABLE: the store reconnects).
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from '@retail-sync/libs/log';
import { ingestService, METADATA_AUTHORIZATION, METADATA_STORE_ID, METADATA_STORE_KEY_ID, type ShipAck, type ShipBatch } from '@retail-sync/libs/proto';
import type { Catalog } from '../../catalog/index.ts';
import { centralErrors } from '../../errors.ts';
import type { IngestCore } from '../ingest-core.ts';
import { CredentialCrypto, DEV_CREDENTIAL_PEPPER, StoreKeyVerifier } from '../store-credentials.ts';
import { authenticateStore, type StoreCredential } from './auth.ts';
import { serverCredentials, type ServerTlsFiles } from './tls.ts';

export const INGEST_SERVICE_NAME = 'retailsync.v1.Ingest';

export interface GrpcIngestOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Checks store keys (issued and, if allowed, derived dev keys). */
  verifier?: StoreKeyVerifier;
  /** Without `verifier`: accept only derived dev keys of this secret (tests, the pre-issued-keys setup). */
  storeKeySecret?: string;
  /** PEM files; unset = plaintext (embedded default). */
  tls?: ServerTlsFiles;
  catalog: Pick<Catalog, 'store'>;
  core: IngestCore;
  logger: Logger;
  /** How long close waits for streams to finish their batch before cutting them. @default 10000 */
  shutdownGraceMs?: number;
}

export interface GrpcIngestServer {
  /** The bound port. */
  port: number;
  /** Stops accepting, lets each stream ack its batch in flight, then shuts the server down. */
  close(): Promise<void>;
}

type ShipCall = grpc.ServerDuplexStream<ShipBatch, ShipAck>;

interface Session {
  storeId: string;
  inFlight: Promise<void> | undefined;
  end(status: grpc.StatusObject | undefined): void;
}

export async function startGrpcIngest(options: GrpcIngestOptions): Promise<GrpcIngestServer> {
  const { core, logger } = options;
  const sessions = new Set<Session>();
  let closing = false;

  const server = new grpc.Server();
  const health = new HealthImplementation({ '': 'SERVING', [INGEST_SERVICE_NAME]: 'SERVING' });
  health.addToServer(server);

  const verifier =
    options.verifier ?? new StoreKeyVerifier({ port: undefined, crypto: new CredentialCrypto(DEV_CREDENTIAL_PEPPER), devSecret: options.storeKeySecret, cacheTtlMs: 30_000 });

  function ship(call: ShipCall): void {
    const credential: StoreCredential = {
      storeId: firstValue(call.metadata, METADATA_STORE_ID),
      keyId: firstValue(call.metadata, METADATA_STORE_KEY_ID),
      authorization: firstValue(call.metadata, METADATA_AUTHORIZATION),
    };
    // Until a 'data' listener is attached the stream buffers, so nothing is read before the check.
    authenticateStore(credential, verifier, options.catalog).then(
      (auth) => serve(call, credential, auth),
      (error: unknown) => {
        logger.warn({ err: error, store_id: credential.storeId }, 'ingest stream: credential check failed (store lookup)');
        const unavailable = centralErrors.create('RS_ERR_SHUTTING_DOWN', 'credential store unavailable; retry');
        call.emit('error', { code: unavailable.grpcStatus, details: `${unavailable.code}: ${unavailable.message}` });
      },
    );
  }

  function serve(call: ShipCall, credential: StoreCredential, auth: Awaited<ReturnType<typeof authenticateStore>>): void {
    if (!auth.ok || closing) {
      const error = auth.ok
        ? centralErrors.create('RS_ERR_SHUTTING_DOWN', 'central is shutting down')
        : centralErrors.create('RS_ERR_UNAUTHENTICATED', 'store credential rejected');
      if (!auth.ok) logger.warn({ peer: call.getPeer(), store_id: credential.storeId, key_id: credential.keyId, reason: auth.reason }, 'ingest stream unauthenticated');
      call.emit('error', { code: error.grpcStatus, details: `${error.code}: ${error.message}` });
      return;
    }
    const storeId = auth.storeId;
    let ended = false;
    const session: Session = {
      storeId,
      inFlight: undefined,
      end(status) {
        if (ended) return;
        ended = true;
        sessions.delete(session);
        if (status) call.emit('error', status);
        else call.end();
      },
    };
    sessions.add(session);
    logger.info({ store_id: storeId, peer: call.getPeer() }, 'ingest stream opened');

    const fail = (error: unknown) => {
      const code = typeof error === 'object' && error !== null ? (error as { grpcStatus?: number }).grpcStatus : undefined;
      if (!ended) logger.warn({ store_id: storeId, err: error }, 'ingest stream failed; the store will resend');
      session.end({ code: code ?? grpc.status.UNAVAILABLE, details: error instanceof Error ? error.message : String(error), metadata: new grpc.Metadata() });
    };
    // One batch at a time: the stream is paused while a batch is handled, which keeps the store's order
    // and pushes back on a store that ships faster than the queue takes.
    call.on('data', (batch: ShipBatch) => {
      call.pause();
      if (closing || ended) return;
      session.inFlight = authenticateStore(credential, verifier, options.catalog)
        .then((again) => {
          if (again.ok) return core.ingestBatch(storeId, { events: batch.events, high_water_seq: Number(batch.high_water_seq) });
          logger.warn({ store_id: storeId, key_id: credential.keyId, reason: again.reason }, 'ingest stream: credential no longer valid; ending the stream');
          throw centralErrors.create('RS_ERR_UNAUTHENTICATED', 'store credential no longer valid');
        })
        .then((acks) => {
          if (!ended) call.write({ batch_id: batch.batch_id, acks });
          session.inFlight = undefined;
          if (!closing && !ended) call.resume();
        })
        .catch((error: unknown) => {
          session.inFlight = undefined;
          fail(error);
        });
    });
    call.on('end', () => {
      void (session.inFlight ?? Promise.resolve()).then(() => session.end(undefined));
    });
    call.on('cancelled', () => session.end(undefined));
    call.on('close', () => {
      if (sessions.delete(session)) logger.info({ store_id: storeId }, 'ingest stream closed');
    });
  }

  server.addService(ingestService().service, { Ship: ship });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, serverCredentials(options.tls), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  logger.info({ host: options.host, port, tls: options.tls ? (options.tls.clientCaPath ? 'mutual' : 'server') : 'off' }, 'grpc ingest listening');

  return {
    port,
    async close() {
      if (closing) return;
      closing = true;
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(INGEST_SERVICE_NAME, 'NOT_SERVING');
      await Promise.all(
        [...sessions].map(async (session) => {
          await session.inFlight;
          session.end(shuttingDown());
        }),
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, options.shutdownGraceMs ?? 10_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      logger.info('grpc ingest stopped');
    },
  };
}

function shuttingDown(): grpc.StatusObject {
  const error = centralErrors.create('RS_ERR_SHUTTING_DOWN', 'central is shutting down; reconnect and resend from the ack cursor');
  return { code: error.grpcStatus, details: `${error.code}: ${error.message}`, metadata: new grpc.Metadata() };
}

function firstValue(metadata: grpc.Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}
