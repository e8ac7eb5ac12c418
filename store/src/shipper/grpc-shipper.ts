/**
 * Ships the buffer to central over one gRPC bidi stream (retailsync.v1.Ingest/Ship).
 *
 * Invariant: the ack cursor only moves over events central acked (any outcome, REJECTED included:
 * those are central's to dead-letter), contiguously from the cursor. Everything else is re-sent after a
 * reconnect; central dedupes by event_id, so at-least-once on the wire becomes exactly-once in storage.
 * One stream per store; batch = the next durable events, in seq order, so central sees the store's
 * events in order. Up to `maxBatchesInFlight` batches are on the stream at once (the wire stays busy
 * while an ack and the cursor write are on their way); their acks are settled strictly in send order,
 * so the cursor still moves over a contiguous acked prefix. After a partial ack the batches sent behind
 * it are forgotten (their acks cannot move the cursor past the hole) and shipping resumes from the
 * cursor; after any stream failure, the next stream starts from the cursor too. Cursor writes are folded
 * together while batches keep flowing (cursor-writer.ts), at most a few windows of acks behind.
 * Events go out as their buffered JSON bytes (wire-event.ts): no parse and re-stringify per event,
 * and batches are encoded in one pass (ship-batch-encoder.ts).
 *
 * Endpoints: an endpoint is used only after it connected and answered grpc.health.v1 SERVING, and it
 * is checked again every `healthCheckIntervalMs` while in use (NOT_SERVING, or two failed checks in a
 * row, ends the stream and moves on). Each endpoint has a circuit breaker (cockatiel; closed → open after
 * `breakerFailures` failed connects/health checks → half-open trial after `breakerHalfOpenMs`); an open
 * one is skipped. Any failure: full-jitter exponential backoff, then the next endpoint. A refused
 * credential parks the shipper (long backoff) and keeps every event.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { BrokenCircuitError, circuitBreaker, CircuitState, ConsecutiveBreaker, handleAll, type CircuitBreakerPolicy } from 'cockatiel';
import type { SaleEvent } from '@retail-sync/libs/domain';
import type { Logger } from '@retail-sync/libs/log';
import { ingestService, type EventAck, type ShipAck, type ShipBatch } from '@retail-sync/libs/proto';
import type { BufferRecord, DiskBuffer } from '../buffer/index.ts';
import { storeErrors } from '../errors.ts';
import { fullJitterDelayMs } from './backoff.ts';
import { ShipperCredentials } from './credentials.ts';
import { CursorWriter } from './cursor-writer.ts';
import { checkHealth, healthClientOn } from './health-check.ts';
import { encodeShipBatch } from './ship-batch-encoder.ts';
import { ShipSession } from './ship-session.ts';
import type { BreakerState, Shipper, ShipperState, ShipperStatus } from './shipper.ts';
import { shouldRetry } from './should-retry.ts';
import { sleepUnlessAborted, untilAborted } from './until-aborted.ts';
import { wireEventFromJson } from './wire-event.ts';

export { toWireEvent } from './wire-event.ts';

export interface GrpcShipperOptions {
  storeId: string;
  keySecret: string;
  /** TLS and issued key (credentials.ts); default: the derived dev key of `keySecret` over plaintext. */
  credentials?: ShipperCredentials;
  /** host:port, tried in order; the next one after a failure. */
  endpoints: string[];
  batchMaxEvents: number;
  batchMaxBytes: number;
  /** Batches sent and not yet acked at most, on the one stream. @default 3 */
  maxBatchesInFlight?: number;
  ackTimeoutMs: number;
  /** Also the deadline of each health check. */
  connectTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  authBackoffMs: number;
  breakerFailures: number;
  breakerHalfOpenMs: number;
  idlePollMs: number;
  /** How often the endpoint in use is health-checked while shipping. @default 5000 */
  healthCheckIntervalMs?: number;
  logger: Logger;
  /** Source of jitter; tests pass a fixed one. */
  random?: () => number;
}

export type { BreakerState } from './shipper.ts';

type IngestClient = grpc.Client & {
  Ship(metadata: grpc.Metadata): grpc.ClientDuplexStream<ShipBatch, ShipAck>;
};

/** Acked batches (per batch of window) whose cursor write may still be pending before the shipper waits for it. */
const UNWRITTEN_ACKS_PER_WINDOW = 4;
/** Failed health checks in a row that end a stream which still looks alive. */
const HEALTH_FAILURES_TO_LEAVE = 2;
const BREAKER_STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

const SETTLING_OUTCOMES: ReadonlySet<string> = new Set<EventAck['outcome']>(['ACCEPTED', 'DUPLICATE', 'REJECTED']);

/** A batch on the stream, waiting for its ack. */
interface InFlightBatch {
  batch: ShipBatch;
  /** Seq of each event, in batch order. */
  seqs: number[];
}

/**
 * How the store reaches central and proves who it is: the channel credentials and the metadata every
 * Ship stream carries. The one place to change for TLS or issued credentials.
 */
export function storeChannelIdentity(options: Pick<GrpcShipperOptions, 'storeId' | 'keySecret' | 'credentials'>): { credentials: grpc.ChannelCredentials; metadata(): grpc.Metadata } {
  const presented = options.credentials ?? ShipperCredentials.devDerived(options.storeId, options.keySecret);
  return { credentials: presented.channel(), metadata: () => presented.metadata() };
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
  private readonly breakers: CircuitBreakerPolicy[];
  private readonly identity: ReturnType<typeof storeChannelIdentity>;
  private readonly logger: Logger;
  private readonly Client: grpc.ServiceClientConstructor;

  constructor(
    private readonly buffer: DiskBuffer<SaleEvent>,
    private readonly options: GrpcShipperOptions,
  ) {
    if (options.endpoints.length === 0) throw new Error('the shipper needs at least one central endpoint');
    this.logger = options.logger.child({ component: 'shipper' });
    const { service } = ingestService();
    const ship = service.Ship as grpc.MethodDefinition<ShipBatch, ShipAck>;
    // Batches are encoded by hand (ship-batch-encoder.ts): same bytes as protobufjs, far fewer allocations.
    this.Client = grpc.makeGenericClientConstructor({ ...service, Ship: { ...ship, requestSerialize: encodeShipBatch } }, 'Ingest');
    this.identity = storeChannelIdentity(options);
    this.breakers = options.endpoints.map((endpoint) => {
      const breaker = circuitBreaker(handleAll, { halfOpenAfter: options.breakerHalfOpenMs, breaker: new ConsecutiveBreaker(options.breakerFailures) });
      breaker.onBreak(() => this.logger.warn({ endpoint, skipMs: options.breakerHalfOpenMs }, 'circuit breaker open: skipping this central endpoint'));
      breaker.onHalfOpen(() => this.logger.info({ endpoint }, 'circuit breaker half-open: trying the endpoint again'));
      breaker.onReset(() => this.logger.info({ endpoint }, 'circuit breaker closed: endpoint healthy again'));
      return breaker;
    });
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

  /** Each endpoint's circuit breaker, in endpoint order. */
  breakerStates(): Array<{ endpoint: string; state: BreakerState }> {
    return this.options.endpoints.map((endpoint, i) => ({ endpoint, state: BREAKER_STATES[this.breakers[i]!.state] }));
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
          await sleepUnlessAborted(this.options.authBackoffMs, [this.stopSignal.signal]);
          continue;
        }
        const delayMs = fullJitterDelayMs(attempt, this.options.backoffBaseMs, this.options.backoffMaxMs, this.options.random);
        attempt += 1;
        index = (index + 1) % count;
        this.state = 'backing_off';
        this.logger.warn({ endpoint, err: (error as Error).message, attempt, delayMs, nextEndpoint: this.options.endpoints[index] }, 'shipping failed; backing off');
        await sleepUnlessAborted(delayMs, [this.stopSignal.signal]);
      } finally {
        this.closeClient();
      }
    }
    this.state = 'stopped';
  }

  /** Connects and health-checks `endpoint`; both failing count against its circuit breaker. */
  private async connect(endpoint: string): Promise<IngestClient> {
    this.closeClient();
    const client = new this.Client(endpoint, this.identity.credentials, {
      'grpc.initial_reconnect_backoff_ms': Math.min(1_000, this.options.backoffBaseMs),
      'grpc.max_reconnect_backoff_ms': this.options.backoffMaxMs,
      'grpc.keepalive_time_ms': 30_000,
    }) as unknown as IngestClient;
    this.client = client;
    const ready = new Promise<void>((resolve, reject) => {
      client.waitForReady(Date.now() + this.options.connectTimeoutMs, (error) => {
        if (error) reject(storeErrors.create('RS_ERR_CENTRAL_UNAVAILABLE', `cannot connect to ${endpoint}: ${error.message}`, { cause: error }));
        else resolve();
      });
    });
    // stop() must not wait out a connect timeout.
    await untilAborted(ready, [this.stopSignal.signal]);
    if (this.stopping) throw storeErrors.create('RS_ERR_CENTRAL_UNAVAILABLE', 'shipper stopped while connecting');
    const health = await checkHealth(healthClientOn(client), this.options.connectTimeoutMs).catch((error: Error) => {
      throw storeErrors.create('RS_ERR_CENTRAL_UNAVAILABLE', `health check of ${endpoint} failed: ${error.message}`, { cause: error });
    });
    if (health === 'not_serving') throw storeErrors.create('RS_ERR_CENTRAL_UNAVAILABLE', `${endpoint} reports NOT_SERVING (grpc.health.v1)`);
    return client;
  }

  private closeClient(): void {
    this.client?.close();
    this.client = undefined;
  }

  /** Ships until stopped (resolves) or until the stream fails (throws). */
  private async shipOn(client: IngestClient, endpoint: string, onProgress: () => void): Promise<void> {
    const session = new ShipSession(client.Ship(this.identity.metadata()));
    this.session = session;
    if (this.stopping) session.close();
    const stopWatching = this.watchHealth(client, endpoint, session);
    this.state = 'shipping';
    this.logger.info({ endpoint }, 'shipping to central');
    const maxInFlight = Math.max(1, this.options.maxBatchesInFlight ?? 3);
    const window: InFlightBatch[] = [];
    // Everything sent on this stream starts at the cursor; sentSeq is how far batches went out.
    let sentSeq = this.buffer.stats().ackedSeq;
    const cursor = new CursorWriter((uptoSeq) => this.buffer.ack(uptoSeq), sentSeq);
    try {
      while (!this.stopping) {
        while (window.length < maxInFlight) {
          const records = await this.buffer.readFrom(sentSeq, this.options.batchMaxEvents, this.options.batchMaxBytes);
          if (records.length === 0) break;
          window.push(this.sendBatch(session, records));
          sentSeq = records.at(-1)!.seq;
        }
        // Acked but not yet durable is re-sent after a crash (central dedupes): bounded, yet a slow fsync must not stall every window.
        if (cursor.unwritten >= UNWRITTEN_ACKS_PER_WINDOW * maxInFlight) await cursor.flush();
        const head = window.shift();
        if (!head) {
          await cursor.flush();
          await untilAborted(this.buffer.waitForAppend(sentSeq, this.options.idlePollMs), [this.stopSignal.signal, session.signal]);
          const failure = session.failure;
          if (failure && !this.stopping) throw failure;
          continue;
        }
        const ack = await session.ackFor(head.batch.batch_id, this.options.ackTimeoutMs);
        const { acked, uptoSeq } = this.settle(head, ack);
        cursor.advance(uptoSeq);
        if (acked < head.seqs.length) {
          // A hole: acks of the batches behind it cannot move the cursor past it. Re-send from the cursor.
          for (const stale of window) session.forget(stale.batch.batch_id);
          window.length = 0;
          sentSeq = uptoSeq;
        }
        this.lastError = null;
        onProgress();
      }
    } finally {
      stopWatching();
      session.close();
      this.session = undefined;
      // Acks already taken reach the cursor before the next stream reads from it (a failed write resurfaces on the next ack).
      await cursor.flush().catch(() => undefined);
    }
  }

  /** Health-checks the endpoint in use; ends `session` when it turns NOT_SERVING or stops answering. Returns the stop. */
  private watchHealth(client: grpc.Client, endpoint: string, session: ShipSession): () => void {
    const health = healthClientOn(client);
    let failures = 0;
    let checking = false;
    const timer = setInterval(() => {
      if (checking || session.failure) return;
      checking = true;
      checkHealth(health, this.options.connectTimeoutMs)
        .then((result) => {
          failures = 0;
          if (result === 'not_serving') session.fail(storeErrors.create('RS_ERR_CENTRAL_UNAVAILABLE', `${endpoint} turned NOT_SERVING (grpc.health.v1); leaving it`));
        })
        .catch((error: Error) => {
          failures += 1;
          if (failures >= HEALTH_FAILURES_TO_LEAVE) {
            session.fail(storeErrors.create('RS_ERR_CENTRAL_UNAVAILABLE', `${endpoint} failed ${failures} health checks in a row: ${error.message}`, { cause: error }));
          }
        })
        .finally(() => (checking = false));
    }, this.options.healthCheckIntervalMs ?? 5_000);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Puts the records on the stream as one batch (their buffered JSON bytes as they are). */
  private sendBatch(session: ShipSession, records: BufferRecord<SaleEvent>[]): InFlightBatch {
    const batch: ShipBatch = {
      batch_id: randomUUID(),
      events: records.map((record) => wireEventFromJson(record.json)),
      high_water_seq: this.buffer.stats().lastSeq,
    };
    session.send(batch);
    return { batch, seqs: records.map((record) => record.seq) };
  }

  /** What an ack settles: the acked prefix of the batch (any outcome, REJECTED included), counted and logged. */
  private settle({ batch, seqs }: InFlightBatch, ack: ShipAck): { acked: number; uptoSeq: number } {
    let byEventId: Map<string, EventAck> | undefined;
    let uptoSeq = 0;
    let acked = 0;
    for (const [i, event] of batch.events.entries()) {
      // Central answers in batch order; look the event up only when it did not.
      let eventAck = ack.acks[i];
      if (eventAck?.event_id !== event.event_id) {
        byEventId ??= new Map(ack.acks.map((candidate) => [candidate.event_id, candidate]));
        eventAck = byEventId.get(event.event_id);
      }
      if (!eventAck || !SETTLING_OUTCOMES.has(eventAck.outcome)) break;
      if (eventAck.outcome === 'REJECTED') {
        this.rejectedEvents += 1;
        this.logger.warn(
          { trace_id: event.trace_id, event_id: eventAck.event_id, seq: seqs[i], reason_code: eventAck.reason_code, reason: eventAck.reason },
          'central rejected an event (dead-lettered there)',
        );
      }
      uptoSeq = seqs[i]!;
      acked += 1;
    }
    if (acked === 0) {
      throw storeErrors.create('RS_ERR_SHIP_PROTOCOL', `central's ack for batch ${batch.batch_id} covers none of its ${seqs.length} events from seq ${seqs[0]}`);
    }
    this.ackedEvents += acked;
    this.logger.debug({ batch_id: batch.batch_id, events: seqs.length, acked, ackedSeq: uptoSeq, highWaterSeq: batch.high_water_seq }, 'batch acked');
    return { acked, uptoSeq };
  }
}
