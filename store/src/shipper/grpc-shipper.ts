/**
 * Ships the buffer to central over one gRPC bidi stream (retailsync.v1.Ingest/Ship).
 *
 * Invariant: the ack cursor only moves over events central acked (any outcome), contiguously from the
 * cursor. Everything else is re-sent after a reconnect; central dedupes by event_id, so at-least-once
 * on the wire becomes exactly-once in storage. One batch is in flight at a time: batch = the next
 * durable events after the cursor, in seq order. On failure: full-jitter exponential backoff and the
 * next endpoint; a per-endpoint circuit breaker (cockatiel) skips endpoints that keep refusing
 * connections. A refused credential parks the shipper (long backoff) and keeps every event.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { BrokenCircuitError, circuitBreaker, ConsecutiveBreaker, handleAll, type CircuitBreakerPolicy } from 'cockatiel';
import { storeKeyFor, type SaleEvent } from '@retail-sync/libs/domain';
import type { Logger } from '@retail-sync/libs/log';
import { ingestService, METADATA_AUTHORIZATION, METADATA_STORE_ID, type ShipAck, type ShipBatch, type WireSaleEvent } from '@retail-sync/libs/proto';
import type { BufferRecord, DiskBuffer } from '../buffer/index.ts';
import { storeErrors } from '../errors.ts';
import { fullJitterDelayMs } from './backoff.ts';
import { ShipSession } from './ship-session.ts';
import type { Shipper, ShipperState, ShipperStatus } from './shipper.ts';
import { shouldRetry } from './should-retry.ts';

export interface GrpcShipperOptions {
  storeId: string;
  keySecret: string;
  /** host:port, tried in order; the next one after a failure. */
  endpoints: string[];
  batchMaxEvents: number;
  batchMaxBytes: number;
  ackTimeoutMs: number;
  connectTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  authBackoffMs: number;
  breakerFailures: number;
  breakerHalfOpenMs: number;
  idlePollMs: number;
  logger: Logger;
  /** Source of jitter; tests pass a fixed one. */
  random?: () => number;
}

type IngestClient = grpc.Client & {
  Ship(metadata: grpc.Metadata): grpc.ClientDuplexStream<ShipBatch, ShipAck>;
};

export function toWireEvent(event: SaleEvent): WireSaleEvent {
  return {
    event_id: event.event_id,
    store_id: event.store_id,
    seq: event.seq,
    received_at: event.received_at,
    trace_id: event.trace_id,
    sale_json: Buffer.from(JSON.stringify(event.sale), 'utf8'),
  };
}

export class GrpcShipper implements Shipper {
  private state: ShipperState = 'idle';
  private endpoint: string | null = null;
  private lastError: string | null = null;
  private ackedEvents = 0;
  private rejectedEvents = 0;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private session: ShipSession | undefined;
  private client: grpc.Client | undefined;
  private readonly stopSignal = new AbortController();
  private readonly stopped = new Promise<void>((resolve) => this.stopSignal.signal.addEventListener('abort', () => resolve(), { once: true }));
  private readonly breakers: CircuitBreakerPolicy[];
  private readonly logger: Logger;
  private readonly Client: grpc.ServiceClientConstructor;

  constructor(
    private readonly buffer: DiskBuffer<SaleEvent>,
    private readonly options: GrpcShipperOptions,
  ) {
    if (options.endpoints.length === 0) throw new Error('the shipper needs at least one central endpoint');
    this.logger = options.logger.child({ component: 'shipper' });
    this.Client = ingestService().Client;
    this.breakers = options.endpoints.map(() =>
      circuitBreaker(handleAll, { halfOpenAfter: options.breakerHalfOpenMs, breaker: new ConsecutiveBreaker(options.breakerFailures) }),
    );
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops after the batch in flight (its ack, if it comes, is not awaited; the events are simply re-sent next time). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    this.session?.close();
    await this.loop;
    this.state = 'stopped';
  }

  status(): ShipperStatus {
    return { endpoint: this.endpoint, state: this.state, last_error: this.lastError, acked_events: this.ackedEvents, rejected_events: this.rejectedEvents };
  }

  private async run(): Promise<void> {
    const count = this.options.endpoints.length;
    let index = 0;
    let attempt = 0;
    let brokenInARow = 0;
    while (!this.stopping) {
      const endpoint = this.options.endpoints[index]!;
      this.endpoint = endpoint;
      try {
        this.state = 'connecting';
        const client = await this.breakers[index]!.execute(() => this.connect(endpoint));
        brokenInARow = 0;
        await this.shipOn(client, endpoint, () => (attempt = 0));
      } catch (error) {
        if (this.stopping) break;
        if (error instanceof BrokenCircuitError && ++brokenInARow < count) {
          index = (index + 1) % count; // this endpoint's breaker is open: try the next one at once
          continue;
        }
        brokenInARow = 0;
        this.lastError = (error as Error).message;
        const decision = shouldRetry(error);
        if (!decision.retry) {
          const code = (error as { code?: unknown }).code;
          const credentialRefused = code === grpc.status.UNAUTHENTICATED || code === grpc.status.PERMISSION_DENIED;
          this.state = credentialRefused ? 'unauthenticated' : 'halted';
          this.logger.error(
            { endpoint, err: error, retryInMs: this.options.authBackoffMs },
            `shipping paused: ${decision.reason}; events are kept, retrying in ${this.options.authBackoffMs} ms`,
          );
          await this.sleep(this.options.authBackoffMs);
          continue;
        }
        const delayMs = fullJitterDelayMs(attempt, this.options.backoffBaseMs, this.options.backoffMaxMs, this.options.random);
        attempt += 1;
        index = (index + 1) % count;
        this.state = 'backing_off';
        this.logger.warn({ endpoint, err: (error as Error).message, attempt, delayMs, nextEndpoint: this.options.endpoints[index] }, 'shipping failed; backing off');
        await this.sleep(delayMs);
      } finally {
        this.closeClient();
      }
    }
    this.state = 'stopped';
  }

  private async connect(endpoint: string): Promise<IngestClient> {
    this.closeClient();
    const client = new this.Client(endpoint, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': Math.min(1_000, this.options.backoffBaseMs),
      'grpc.max_reconnect_backoff_ms': this.options.backoffMaxMs,
      'grpc.keepalive_time_ms': 30_000,
    }) as unknown as IngestClient;
    this.client = client;
    await new Promise<void>((resolve, reject) => {
      // stop() must not wait out a connect timeout.
      const onStop = () => reject(storeErrors.create('RS_ERR_CENTRAL_UNAVAILABLE', 'shipper stopped while connecting'));
      this.stopSignal.signal.addEventListener('abort', onStop, { once: true });
      client.waitForReady(Date.now() + this.options.connectTimeoutMs, (error) => {
        this.stopSignal.signal.removeEventListener('abort', onStop);
        if (error) reject(storeErrors.create('RS_ERR_CENTRAL_UNAVAILABLE', `cannot connect to ${endpoint}: ${error.message}`, { cause: error }));
        else resolve();
      });
    });
    return client;
  }

  private closeClient(): void {
    this.client?.close();
    this.client = undefined;
  }

  /** Ships until stopped (resolves) or until the stream fails (throws). */
  private async shipOn(client: IngestClient, endpoint: string, onProgress: () => void): Promise<void> {
    const metadata = new grpc.Metadata();
    metadata.set(METADATA_STORE_ID, this.options.storeId);
    metadata.set(METADATA_AUTHORIZATION, `Bearer ${storeKeyFor(this.options.keySecret, this.options.storeId)}`);
    const session = new ShipSession(client.Ship(metadata));
    this.session = session;
    if (this.stopping) session.close();
    this.state = 'shipping';
    this.logger.info({ endpoint }, 'shipping to central');
    try {
      while (!this.stopping) {
        const ackedSeq = this.buffer.stats().ackedSeq;
        const records = await this.buffer.readFrom(ackedSeq, this.options.batchMaxEvents, this.options.batchMaxBytes);
        if (records.length === 0) {
          const failure = await Promise.race([this.buffer.waitForAppend(ackedSeq, this.options.idlePollMs).then(() => undefined), session.failed, this.stopped]);
          if (failure && !this.stopping) throw failure;
          continue;
        }
        await this.shipBatch(session, records);
        this.lastError = null;
        onProgress();
      }
    } finally {
      session.close();
      this.session = undefined;
    }
  }

  private async shipBatch(session: ShipSession, records: BufferRecord<SaleEvent>[]): Promise<void> {
    const batch: ShipBatch = {
      batch_id: randomUUID(),
      events: records.map((record) => toWireEvent(record.payload)),
      high_water_seq: this.buffer.stats().lastSeq,
    };
    session.send(batch);
    const ack = await session.ackFor(batch.batch_id, this.options.ackTimeoutMs);
    const outcomes = new Map(ack.acks.map((eventAck) => [eventAck.event_id, eventAck]));
    let uptoSeq = 0;
    let acked = 0;
    for (const record of records) {
      const eventAck = outcomes.get(record.payload.event_id);
      if (!eventAck || !['ACCEPTED', 'DUPLICATE', 'REJECTED'].includes(eventAck.outcome)) break;
      if (eventAck.outcome === 'REJECTED') {
        this.rejectedEvents += 1;
        this.logger.warn(
          { trace_id: record.payload.trace_id, event_id: eventAck.event_id, seq: record.seq, reason_code: eventAck.reason_code, reason: eventAck.reason },
          'central rejected an event (dead-lettered there)',
        );
      }
      uptoSeq = record.seq;
      acked += 1;
    }
    if (acked === 0) {
      throw storeErrors.create('RS_ERR_SHIP_PROTOCOL', `central's ack for batch ${batch.batch_id} covers none of its ${records.length} events from seq ${records[0]!.seq}`);
    }
    await this.buffer.ack(uptoSeq);
    this.ackedEvents += acked;
    this.logger.debug({ batch_id: batch.batch_id, events: records.length, acked, ackedSeq: uptoSeq, highWaterSeq: batch.high_water_seq }, 'batch acked');
  }

  private async sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), this.stopped]);
    clearTimeout(timer);
  }
}
