/** Settings of central's Kafka ingest (consumer group on the stores' topic), as env keys with documented defaults. */
import { z } from 'zod';
import { env } from '@retail-sync/libs/config';

export const kafkaIngestConfigShape = {
  /** Default 127.0.0.1:19092. Kafka bootstrap brokers, host:port, comma-separated. */
  RS_KAFKA_BROKERS: env.list('127.0.0.1:19092').pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, { error: 'must be host:port' })).min(1)),
  /** Default retail-sync.sales.v1. Topic the stores produce to; central creates it if missing. */
  RS_KAFKA_TOPIC: env.string('retail-sync.sales.v1'),
  /** Default retail-sync-central. Consumer group: every central ingest replica joins it and they share the partitions. */
  RS_KAFKA_GROUP_ID: env.string('retail-sync-central'),
  /** Default retail-sync. Kafka client id prefix; central appends `-central` (retail-sync-central) for broker logs and quotas. */
  RS_KAFKA_CLIENT_ID: env.string('retail-sync'),
  /** Default 6. Partitions of the topic when central creates it: the most ingest replicas that can consume at once. */
  RS_KAFKA_PARTITIONS: env.int(6, 1, 10_000),
  /** Default 1 (single dev broker). Replication factor when central creates the topic; 3 in production. */
  RS_KAFKA_REPLICATION_FACTOR: env.int(1, 1, 16),
  /** Default 30000. A replica that sends no heartbeat for this long is dropped from the group and its partitions move. */
  RS_KAFKA_SESSION_TIMEOUT_MS: env.int(30_000, 1_000),
  /** Default 3000. Heartbeat interval (also sent between chunks of a long batch); well below the session timeout. */
  RS_KAFKA_HEARTBEAT_INTERVAL_MS: env.int(3_000, 100),
  /** Default 60000. How long the group waits for members to rejoin during a rebalance. */
  RS_KAFKA_REBALANCE_TIMEOUT_MS: env.int(60_000, 1_000),
  /** Default 500. Records handed to the ingest core at once; offsets are committed after each chunk is durable. */
  RS_KAFKA_INGEST_CHUNK_EVENTS: env.int(500, 1, 100_000),
  /** Default 3. Partitions this replica processes at the same time (each partition stays in order). */
  RS_KAFKA_PARTITIONS_CONCURRENTLY: env.int(3, 1, 1_000),
  /** Default 1048576. Most bytes fetched per partition per request. */
  RS_KAFKA_MAX_BYTES_PER_PARTITION: env.int(1024 * 1024, 1024),
  /** Default 200. First delay before retrying a chunk the queue or dead-letter store refused; doubles, full jitter. */
  RS_KAFKA_INGEST_BACKOFF_BASE_MS: env.int(200, 1),
  /** Default 10000. Cap of that delay (the partition waits; nothing is committed meanwhile). */
  RS_KAFKA_INGEST_BACKOFF_MAX_MS: env.int(10_000, 1),
};

export const kafkaIngestConfigSchema = z.object(kafkaIngestConfigShape);
export type KafkaIngestSettings = z.infer<typeof kafkaIngestConfigSchema>;
