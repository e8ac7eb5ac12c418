/**
 * Kafka transport of central ingest: a consumer group on the stores' topic that hands records to the
 * transport-free ingest core.
 *
 * Invariants:
 * - An offset is committed only after every record before it is durable: valid events enqueued (job id
 *   = event_id) through the core, everything else in the dead-letter store. autoCommit is off; each
 *   chunk of a batch is resolved and committed explicitly once the core resolved.
 * - A crash, kill -9 or rebalance therefore only ever re-delivers records, never skips one; re-delivered
 *   events come back from the queue as 'duplicate', so nothing is queued twice.
 * - A partition is processed in offset order, so a store's events (one key, one partition) reach the
 *   queue in seq order. A record that fails authentication or decoding is dead-lettered (stage 'kafka')
 *   and the partition moves on. When the queue or dead-letter store is down the chunk is retried in
 *   place with backoff, heartbeating meanwhile, and nothing past it is committed.
 */
import { Kafka, logLevel, type Consumer, type EachBatchPayload } from 'kafkajs';
import type { Logger } from '@retail-sync/libs/log';
import type { DeadLetter, DeadLetterPort } from '@retail-sync/libs/ports';
import type { Catalog } from '../../catalog/index.ts';
import type { IngestCore, IngestEvent } from '../ingest-core.ts';
import type { KafkaIngestSettings } from './config.ts';
import { kafkaLogCreator } from '@retail-sync/libs/kafka';
import { checkRecord, resolveSigningKeys, type KafkaRecordIn } from './record-check.ts';
import type { StoreKeyVerifier } from '../store-credentials.ts';
import { ensureKafkaTopic } from './topic.ts';

export interface KafkaIngestDependencies {
  core: IngestCore;
  deadLetters: Pick<DeadLetterPort, 'put'>;
  /** Secret store keys derive from (RS_STORE_KEY_SECRET): a record counts only if signed with its store's key. */
  storeKeySecret: string;
  /** Issued keys (and derived dev keys when allowed); when given it replaces `storeKeySecret`. */
  verifier?: StoreKeyVerifier;
  logger: Logger;
  /** When given, a record's store must also be in the catalog (as for gRPC ingest). */
  catalog?: Pick<Catalog, 'store'>;
}

export interface KafkaIngest {
  /**
   * Resolves while this ingest is consuming: its consumer is in the group and a broker answers a
   * metadata request. Rejects with the reason otherwise (joining, crashed, broker unreachable): the
   * admin API's /readyz asks it on every probe.
   */
  health(): Promise<void>;
  /** Stops after the chunk in flight (committed if it finished), leaves the group, disconnects. */
  close(): Promise<void>;
}

/** How long to wait before re-creating a consumer that kafkajs gave up on. */
const RESTART_DELAY_MS = 1_000;

export async function startKafkaIngest(settings: KafkaIngestSettings, deps: KafkaIngestDependencies): Promise<KafkaIngest> {
  const logger = deps.logger.child({ component: 'kafka-ingest', topic: settings.RS_KAFKA_TOPIC, group: settings.RS_KAFKA_GROUP_ID });
  await ensureKafkaTopic({
    brokers: settings.RS_KAFKA_BROKERS,
    topic: settings.RS_KAFKA_TOPIC,
    partitions: settings.RS_KAFKA_PARTITIONS,
    replicationFactor: settings.RS_KAFKA_REPLICATION_FACTOR,
    clientId: `${settings.RS_KAFKA_CLIENT_ID}-central-admin`,
    logger,
  });
  const kafka = new Kafka({ clientId: `${settings.RS_KAFKA_CLIENT_ID}-central`, brokers: settings.RS_KAFKA_BROKERS, logLevel: logLevel.WARN, logCreator: kafkaLogCreator(logger) });

  let closing = false;
  let consumer: Consumer | undefined;
  // what the current consumer last reported: readiness needs it in the group
  let consumerState: 'joining the group' | 'consuming' | 'crashed' | 'stopped' = 'joining the group';
  let restartTimer: NodeJS.Timeout | undefined;

  const handleBatch = (payload: EachBatchPayload) => ingestBatch(payload, settings, deps, logger, () => closing);

  async function run(): Promise<void> {
    const next = kafka.consumer({
      groupId: settings.RS_KAFKA_GROUP_ID,
      sessionTimeout: settings.RS_KAFKA_SESSION_TIMEOUT_MS,
      heartbeatInterval: settings.RS_KAFKA_HEARTBEAT_INTERVAL_MS,
      rebalanceTimeout: settings.RS_KAFKA_REBALANCE_TIMEOUT_MS,
      maxBytesPerPartition: settings.RS_KAFKA_MAX_BYTES_PER_PARTITION,
      allowAutoTopicCreation: false,
    });
    consumer = next;
    consumerState = 'joining the group';
    next.on(next.events.GROUP_JOIN, () => (consumerState = 'consuming'));
    next.on(next.events.STOP, () => (consumerState = 'stopped'));
    next.on(next.events.CRASH, ({ payload }) => {
      consumerState = payload.restart ? 'joining the group' : 'crashed';
      if (payload.restart || closing) return; // kafkajs restarts retriable crashes itself
      logger.error({ err: payload.error }, 'Kafka consumer crashed for good; re-creating it (uncommitted records are re-delivered)');
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        void next
          .disconnect()
          .catch(() => undefined)
          .then(() => (closing ? undefined : run()))
          .catch((error: unknown) => logger.error({ err: error }, 'Kafka consumer could not be re-created; retrying'));
      }, RESTART_DELAY_MS);
    });
    await next.connect();
    // A new group starts at the earliest offset: records produced before central first ran are not skipped.
    await next.subscribe({ topic: settings.RS_KAFKA_TOPIC, fromBeginning: true });
    await next.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: settings.RS_KAFKA_PARTITIONS_CONCURRENTLY,
      eachBatch: handleBatch,
    });
  }

  await run();
  logger.info({ brokers: settings.RS_KAFKA_BROKERS }, 'Kafka ingest consuming');

  // The broker probe has a client of its own that does not retry: a probe must answer within its timeout.
  const probeAdmin = new Kafka({ clientId: `${settings.RS_KAFKA_CLIENT_ID}-central-probe`, brokers: settings.RS_KAFKA_BROKERS, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1_000 }).admin();
  let probeConnected: Promise<void> | undefined;

  let closed: Promise<void> | undefined;
  return {
    async health() {
      if (consumerState !== 'consuming') throw new Error(`Kafka consumer ${consumerState}`);
      try {
        probeConnected ??= probeAdmin.connect();
        await probeConnected;
        await probeAdmin.describeCluster();
      } catch (error) {
        probeConnected = undefined;
        await probeAdmin.disconnect().catch(() => undefined);
        throw new Error(`Kafka brokers ${settings.RS_KAFKA_BROKERS.join(',')} unreachable: ${(error as Error).message}`);
      }
    },
    close() {
      closed ??= (async () => {
        closing = true;
        clearTimeout(restartTimer);
        await probeAdmin.disconnect().catch(() => undefined);
        await consumer?.disconnect();
        logger.info('Kafka ingest stopped');
      })();
      return closed;
    },
  };
}

/** One fetched batch of one partition, in chunks: check → core/dead letters → resolve + commit → heartbeat. */
async function ingestBatch(
  { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, uncommittedOffsets, isRunning, isStale }: EachBatchPayload,
  settings: KafkaIngestSettings,
  deps: KafkaIngestDependencies,
  logger: Logger,
  closing: () => boolean,
): Promise<void> {
  const chunkSize = settings.RS_KAFKA_INGEST_CHUNK_EVENTS;
  for (let start = 0; start < batch.messages.length; start += chunkSize) {
    if (!isRunning() || isStale() || closing()) return;
    const chunk = batch.messages.slice(start, start + chunkSize);
    for (let attempt = 0; ; attempt += 1) {
      try {
        await ingestChunk(chunk, batch.topic, batch.partition, deps, logger);
        break;
      } catch (error) {
        if (!isRunning() || closing()) throw error;
        const delayMs = Math.floor(Math.random() * Math.min(settings.RS_KAFKA_INGEST_BACKOFF_MAX_MS, settings.RS_KAFKA_INGEST_BACKOFF_BASE_MS * 2 ** Math.min(attempt, 30)));
        logger.warn({ err: error, partition: batch.partition, offset: chunk[0]!.offset, attempt, delayMs }, 'Kafka ingest could not make a chunk durable; retrying it (nothing past it is committed)');
        await waitHeartbeating(delayMs, settings.RS_KAFKA_HEARTBEAT_INTERVAL_MS, heartbeat);
      }
    }
    resolveOffset(chunk[chunk.length - 1]!.offset);
    await commitOffsetsIfNecessary(uncommittedOffsets());
    await heartbeat();
  }
}

async function ingestChunk(records: KafkaRecordIn[], topic: string, partition: number, deps: KafkaIngestDependencies, logger: Logger): Promise<void> {
  const now = new Date().toISOString();
  const letters: DeadLetter[] = [];
  const byStore = new Map<string, { events: IngestEvent[]; high_water_seq: number }>();
  const signingKeyFor = deps.verifier ? await resolveSigningKeys(records, deps.verifier) : undefined;
  for (const record of records) {
    const checked = checkRecord(record, { topic, partition, storeKeySecret: deps.storeKeySecret, signingKeyFor, catalog: deps.catalog, now });
    if (!checked.ok) {
      letters.push(checked.letter);
      continue;
    }
    const batch = byStore.get(checked.storeId) ?? { events: [], high_water_seq: 0 };
    batch.events.push(checked.event);
    batch.high_water_seq = Math.max(batch.high_water_seq, checked.highWaterSeq);
    byStore.set(checked.storeId, batch);
  }
  await Promise.all([...letters.map((letter) => deps.deadLetters.put(letter)), ...[...byStore].map(([storeId, batch]) => deps.core.ingestBatch(storeId, batch))]);
  if (letters.length > 0) {
    logger.warn(
      { partition, dead_lettered: letters.length, letters: letters.map((letter) => ({ id: letter.id, reason_code: letter.reason_code, reason: letter.reason })) },
      'Kafka ingest dead-lettered records it could not authenticate or decode',
    );
  }
  logger.debug({ partition, records: records.length, stores: byStore.size, from: records[0]?.offset }, 'Kafka chunk durable');
}

async function waitHeartbeating(totalMs: number, heartbeatMs: number, heartbeat: () => Promise<void>): Promise<void> {
  for (let left = totalMs; left > 0; left -= heartbeatMs) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, heartbeatMs)));
    await heartbeat();
  }
}
