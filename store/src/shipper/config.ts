/** Shipper settings (store → central over gRPC or Kafka). Keys are env names; each documents its default. */
import { z } from 'zod';
import { env } from '@retail-sync/libs/config';
import { DEV_STORE_KEY_SECRET } from '@retail-sync/libs/domain';
import { kafkaShipperConfigShape } from './kafka/config.ts';

export const TRANSPORTS = ['grpc', 'kafka'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export const shipperConfigShape = {
  /** How the store ships to central: 'grpc' (Ingest/Ship stream, per-event acks) or 'kafka' (idempotent producer, acks=all). @default 'grpc' */
  RS_TRANSPORT: z.enum(TRANSPORTS, { error: `must be one of ${TRANSPORTS.join(', ')}` }).default('grpc'),
  /** Central gRPC ingest endpoints, host:port, comma-separated; tried in order, next one on failure. @default '127.0.0.1:50051' */
  RS_CENTRAL_GRPC_ENDPOINTS: env.list('127.0.0.1:50051').pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, { error: 'must be host:port' })).min(1)),
  /** Secret the store key is derived from (storeKeyFor(secret, store_id)); must match central's. @default DEV_STORE_KEY_SECRET */
  RS_STORE_KEY_SECRET: env.string(DEV_STORE_KEY_SECRET),
  /** Events per ShipBatch at most. @default 500 */
  RS_SHIP_BATCH_MAX_EVENTS: env.int(500, 1, 10_000),
  /** Bytes of events per ShipBatch at most (stay below gRPC's 4 MiB message limit). @default 1048576 */
  RS_SHIP_BATCH_MAX_BYTES: env.int(1024 * 1024, 1024, 3 * 1024 * 1024),
  /** ShipBatches on the stream awaiting their ack at most (acks come back in order; the cursor still moves only over a contiguous acked prefix). @default 3 */
  RS_SHIP_MAX_BATCHES_IN_FLIGHT: env.int(3, 1, 16),
  /** How long to wait for central's ShipAck before giving up on the stream. @default 30000 */
  RS_SHIP_ACK_TIMEOUT_MS: env.int(30_000, 100),
  /** How long to wait for a connection to an endpoint. @default 5000 */
  RS_SHIP_CONNECT_TIMEOUT_MS: env.int(5_000, 50),
  /** First retry delay; doubles per failure, full jitter. @default 200 */
  RS_SHIP_BACKOFF_BASE_MS: env.int(200, 1),
  /** Cap of the retry delay. @default 30000 */
  RS_SHIP_BACKOFF_MAX_MS: env.int(30_000, 1),
  /** Delay before retrying after central refused the credential (the data is kept). @default 60000 */
  RS_SHIP_AUTH_BACKOFF_MS: env.int(60_000, 1),
  /** Consecutive connect failures that open an endpoint's circuit breaker. @default 3 */
  RS_SHIP_BREAKER_FAILURES: env.int(3, 1),
  /** How long an open breaker skips its endpoint before a half-open trial. @default 10000 */
  RS_SHIP_BREAKER_HALF_OPEN_MS: env.int(10_000, 1),
  /** Longest idle wait before re-checking the buffer (appends wake the shipper at once). @default 1000 */
  RS_SHIP_IDLE_POLL_MS: env.int(1_000, 10),
  ...kafkaShipperConfigShape,
};
