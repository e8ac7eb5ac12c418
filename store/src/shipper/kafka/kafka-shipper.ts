/**
 * Ships the buffer to a Kafka topic: one record per event, key = store_id (one partition per store, so
 * its order holds), idempotent producer with acks=all and one produce request in flight.
 *
 * Invariant: the ack cursor only moves over events whose produce request the broker acknowledged with
 * acks=all (`send` resolved). Everything else is produced again after a failure; the idempotent producer
 * drops resends within one producer session, and across sessions (the producer is recreated after any
 * failure, which gives it a new producer id) central's consumer dedupes by event_id. So the topic may
 * hold a record twice, the queue never does.
 *
 * One send at a time, the next durable events after the last one sent, in seq order: kafkajs's
 * idempotent producer serialises produce requests per broker anyway (a lock around sequence numbers)
 * and cannot keep sequences right with several requests in flight (tulios/kafkajs #598), and two
 * concurrent sends could take the lock in either order. What overlaps the request on the wire is the
 * store's own work: the next batch is read and its records built and signed meanwhile, and the cursor
 * writes (two fsyncs and a rename each) run behind the sends (cursor-writer.ts), flushed before a
 * session ends so a new one starts from every ack taken.
 */
import { Kafka, logLevel, type Message, type Producer, type ProducerConfig } from 'kafkajs';
import type { SaleEvent } from '@retail-sync/libs/domain';
import type { Logger } from '@retail-sync/libs/log';
import type { DiskBuffer } from '../../buffer/index.ts';
import { storeErrors } from '../../errors.ts';
import { fullJitterDelayMs } from '../backoff.ts';
import { ShipperCredentials } from '../credentials.ts';
import { CursorWriter } from '../cursor-writer.ts';
import type { Shipper, ShipperState, ShipperStatus } from '../shipper.ts';
import { kafkaLogCreator } from '@retail-sync/libs/kafka';
import { cachedDefaultPartitioner, KafkaRecordBuilder } from './kafka-records.ts';
import { isBatchTooLarge, shouldRetryKafka } from './should-retry.ts';

/** The part of a kafkajs producer the shipper uses (tests pass a fake). */
export type KafkaProducer = Pick<Producer, 'connect' | 'disconnect' | 'send'>;

export interface KafkaShipperOptions {
  storeId: string;
  keySecret: string;
  /** Issued key (credentials.ts); default: the derived dev key of `keySecret`. */
  credentials?: ShipperCredentials;
  brokers: string[];
  topic: string;
  /** Client id prefix; `-store-<storeId>` is appended. */
  clientId: string;
  batchMaxEvents: number;
  batchMaxBytes: number;
  requestTimeoutMs: number;
  /** kafkajs's retries of one send before it throws KafkaJSNumberOfRetriesExceeded. */
  sendRetries: number;
  connectTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Delay before retrying after a fault only an operator can fix (ACLs, bad topic name). */
  haltBackoffMs: number;
  idlePollMs: number;
  logger: Logger;
  /** Source of jitter; tests pass a fixed one. */
  random?: () => number;
  /** Seam for tests; default: a kafkajs idempotent producer on `brokers`. */
  createProducer?: (config: ProducerConfig) => KafkaProducer;
}

/** Acked batches whose cursor write may still be pending before the shipper waits for it (what a crash re-produces). */
const MAX_UNWRITTEN_ACKS = 4;

/** A batch read and built, not yet sent. */
interface PreparedBatch {
  messages: Message[];
  uptoSeq: number;
  highWaterSeq: number;
}

export class KafkaShipper implements Shipper {
  private state: ShipperState = 'idle';
  private lastError: string | null = null;
  private ackedEvents = 0;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private producer: KafkaProducer | undefined;
  /** Halves each time the broker refuses a batch as too large, and stays there: that limit is the broker's config. */
  private batchLimit: number;
  private lastBatchSize = 0;
  private readonly records: KafkaRecordBuilder;
  private readonly stopSignal = new AbortController();
  private readonly logger: Logger;
  private readonly createProducer: (config: ProducerConfig) => KafkaProducer;

  constructor(
    private readonly buffer: DiskBuffer<SaleEvent>,
    private readonly options: KafkaShipperOptions,
  ) {
    if (options.brokers.length === 0) throw new Error('the Kafka shipper needs at least one broker');
    this.logger = options.logger.child({ component: 'shipper', transport: 'kafka' });
    const signing = (options.credentials ?? ShipperCredentials.devDerived(options.storeId, options.keySecret)).kafkaSigning();
    this.records = new KafkaRecordBuilder(options.storeId, signing.key, signing.keyId);
    this.batchLimit = options.batchMaxEvents;
    this.createProducer = options.createProducer ?? ((config) => this.kafkaProducer(config));
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops after the send in flight (its outcome is not awaited; unconfirmed events are simply produced again next time). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    await this.loop;
    await this.closeProducer();
    this.state = 'stopped';
  }

  status(): ShipperStatus {
    return { endpoint: this.options.brokers.join(','), state: this.state, last_error: this.lastError, acked_events: this.ackedEvents, rejected_events: 0 };
  }

  private kafkaProducer(config: ProducerConfig): Producer {
    const kafka = new Kafka({
      clientId: `${this.options.clientId}-store-${this.options.storeId}`,
      brokers: this.options.brokers,
      connectionTimeout: this.options.connectTimeoutMs,
      requestTimeout: this.options.requestTimeoutMs,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(this.logger),
    });
    return kafka.producer(config);
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopping) {
      try {
        this.state = 'connecting';
        const producer = await this.connectProducer();
        this.state = 'shipping';
        await this.shipWith(producer, () => (attempt = 0));
      } catch (error) {
        await this.closeProducer();
        if (this.stopping) break;
        this.lastError = (error as Error).message;
        if (isBatchTooLarge(error) && this.lastBatchSize > 1) {
          this.batchLimit = Math.floor(this.lastBatchSize / 2);
          this.logger.warn({ err: this.lastError, batchLimit: this.batchLimit }, 'broker refused the batch as too large; halving it');
          continue;
        }
        const decision = shouldRetryKafka(error);
        if (!decision.retry) {
          this.state = 'halted';
          this.logger.error({ err: error, retryInMs: this.options.haltBackoffMs }, `shipping paused: ${decision.reason}; events are kept, retrying in ${this.options.haltBackoffMs} ms`);
          await this.sleep(this.options.haltBackoffMs);
          continue;
        }
        const delayMs = fullJitterDelayMs(attempt, this.options.backoffBaseMs, this.options.backoffMaxMs, this.options.random);
        attempt += 1;
        this.state = 'backing_off';
        this.logger.warn({ err: this.lastError, attempt, delayMs }, 'producing to Kafka failed; recreating the producer after a backoff');
        await this.sleep(delayMs);
      }
    }
    this.state = 'stopped';
  }

  private async connectProducer(): Promise<KafkaProducer> {
    const producer = this.createProducer({
      idempotent: true,
      // kafkajs keeps sequence numbers right only with one request in flight (tulios/kafkajs #598).
      maxInFlightRequests: 1,
      // Central creates the topic with its partition count; an auto-created one would get the broker's default.
      allowAutoTopicCreation: false,
      // kafkajs's DefaultPartitioner (murmur2 of the key), computed once per key instead of once per record.
      createPartitioner: cachedDefaultPartitioner,
      retry: { retries: this.options.sendRetries, maxRetryTime: this.options.backoffMaxMs },
    });
    this.producer = producer;
    await this.untilStopped(producer.connect());
    if (this.stopping) throw storeErrors.create('RS_ERR_CENTRAL_UNAVAILABLE', 'shipper stopped while connecting');
    this.logger.info({ brokers: this.options.brokers, topic: this.options.topic }, 'producing to Kafka');
    return producer;
  }

  private async closeProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch((error: unknown) => this.logger.debug({ err: error }, 'Kafka producer disconnect failed'));
  }

  /** Produces until stopped (resolves) or until a send fails (throws). */
  private async shipWith(producer: KafkaProducer, onProgress: () => void): Promise<void> {
    // Everything produced in this session starts at the cursor; readSeq is how far batches were read.
    let readSeq = this.buffer.stats().ackedSeq;
    const cursor = new CursorWriter((uptoSeq) => this.buffer.ack(uptoSeq), readSeq);
    let next: PreparedBatch | undefined;
    try {
      while (!this.stopping) {
        const batch = next ?? (await this.prepare(readSeq));
        next = undefined;
        if (!batch) {
          await cursor.flush();
          await this.untilStopped(this.buffer.waitForAppend(readSeq, this.options.idlePollMs));
          continue;
        }
        readSeq = batch.uptoSeq;
        this.lastBatchSize = batch.messages.length;
        const sent = producer.send({ topic: this.options.topic, acks: -1, timeout: this.options.requestTimeoutMs, messages: batch.messages });
        sent.catch(() => undefined); // awaited below; this only keeps a failure during prepare from going unhandled
        next = await this.prepare(readSeq);
        // stop() must not wait out kafkajs's retries; the unconfirmed batch stays in the buffer.
        await this.untilStopped(sent);
        if (this.stopping) return;
        cursor.advance(batch.uptoSeq);
        this.ackedEvents += batch.messages.length;
        this.logger.debug({ events: batch.messages.length, ackedSeq: batch.uptoSeq, highWaterSeq: batch.highWaterSeq }, 'batch acked by Kafka');
        if (cursor.unwritten >= MAX_UNWRITTEN_ACKS) await cursor.flush();
        this.lastError = null;
        onProgress();
      }
    } finally {
      // Acks already taken reach the cursor before the next session reads from it (a failed write resurfaces on the next ack).
      await cursor.flush().catch(() => undefined);
    }
  }

  /** The next durable events after `afterSeq` as messages, or undefined when there are none yet. */
  private async prepare(afterSeq: number): Promise<PreparedBatch | undefined> {
    const records = await this.buffer.readFrom(afterSeq, this.batchLimit, this.options.batchMaxBytes);
    if (records.length === 0) return undefined;
    const highWaterSeq = this.buffer.stats().lastSeq;
    return { messages: this.records.messages(records, highWaterSeq), uptoSeq: records[records.length - 1]!.seq, highWaterSeq };
  }

  private async sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await this.untilStopped(new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))));
    clearTimeout(timer);
  }

  /**
   * Settles with `work`, or resolves at once when the shipper stops. Unlike racing a long-lived
   * "stopped" promise, it leaves no reaction behind per call (the loop runs for months).
   */
  private untilStopped<T>(work: Promise<T>): Promise<T | undefined> {
    const signal = this.stopSignal.signal;
    if (signal.aborted) {
      work.catch(() => undefined);
      return Promise.resolve(undefined);
    }
    return new Promise<T | undefined>((resolve, reject) => {
      const onStop = () => {
        work.catch(() => undefined);
        resolve(undefined);
      };
      signal.addEventListener('abort', onStop, { once: true });
      work.then(
        (value) => (signal.removeEventListener('abort', onStop), resolve(value)),
        (error: unknown) => (signal.removeEventListener('abort', onStop), reject(error)),
      );
    });
  }
}
