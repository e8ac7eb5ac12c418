/** Kafka shipper settings (store → Kafka topic). Keys are env names; each documents its default. */
import { z } from 'zod';
import { env } from '@retail-sync/libs/config';

export const kafkaShipperConfigShape = {
  /** Kafka bootstrap brokers, host:port, comma-separated. @default '127.0.0.1:19092' */
  RS_KAFKA_BROKERS: env.list('127.0.0.1:19092').pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, { error: 'must be host:port' })).min(1)),
  /** Topic the store produces its sale events to (central creates it; the store never auto-creates it). @default 'retail-sync.sales.v1' */
  RS_KAFKA_TOPIC: env.string('retail-sync.sales.v1'),
  /** Kafka client id prefix; the store appends `-store-<store_id>` (retail-sync-store-nyc-001) so broker logs name the store. @default 'retail-sync' */
  RS_KAFKA_CLIENT_ID: env.string('retail-sync'),
  /** Records (= events) per produce request at most. @default 1000 */
  RS_KAFKA_BATCH_MAX_EVENTS: env.int(1_000, 1, 100_000),
  /**
   * Buffered bytes per produce request at most. A store's records share one partition, so one request is
   * one record batch, which the broker caps at message.max.bytes (1 MiB by default); a record carries its
   * signature and headers and the sale JSON-escaped (~1.3× the buffered bytes). @default 524288
   */
  RS_KAFKA_BATCH_MAX_BYTES: env.int(512 * 1024, 1024, 64 * 1024 * 1024),
  /** How long the broker may take to confirm a produce request (acks=all) before kafkajs retries it. @default 30000 */
  RS_KAFKA_REQUEST_TIMEOUT_MS: env.int(30_000, 100),
  /** kafkajs's own retries of one send before it gives up (KafkaJSNumberOfRetriesExceeded) and the shipper recreates the producer. @default 5 */
  RS_KAFKA_SEND_RETRIES: env.int(5, 0, 1_000),
};
