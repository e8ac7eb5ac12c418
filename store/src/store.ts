/**
 * Composes one store: receipt index → buffer → intake server + shipper. Start order matters: the
 * receipt index exists before the buffer opens (recovery may delete acked segments and the index must
 * persist their keys first), and learns the buffered keys before intake takes its first request.
 * Stop order: intake (in-flight requests finish their fsync), shipper, buffer, in that order.
 */
import { getHeapStatistics } from 'node:v8';
import type { SaleEvent } from '@retail-sync/libs/domain';
import { createLogger, type Logger } from '@retail-sync/libs/log';
import { DiskBuffer, nodeFileSystem, type BufferFileSystem } from './buffer/index.ts';
import { storeDataDir, type StoreConfig } from './config.ts';
import { buildIntakeServer, ReceiptIndex, SaleIntake, type StoreStatus } from './intake/index.ts';
import { createStoreMetrics } from './metrics.ts';
import { GrpcShipper, KafkaShipper, type Shipper } from './shipper/index.ts';
import { shipperCredentialsFrom } from './shipper/credentials.ts';

export interface RunningStore {
  /** Intake base URL, e.g. http://127.0.0.1:5001 */
  url: string;
  status(): StoreStatus;
  /** Graceful stop: intake, shipper, buffer. Idempotent. */
  close(): Promise<void>;
}

export interface StartStoreOptions {
  logger?: Logger;
  /** File-system seam under the buffer (tests). */
  fs?: BufferFileSystem;
  /** Start the shipper (default true); tests of intake alone turn it off. */
  ship?: boolean;
  /** Export process metrics (CPU, memory…) on this store's /metrics; a host of several stores sets it on one only. @default true */
  processMetrics?: boolean;
}

export async function startStore(config: StoreConfig, options: StartStoreOptions = {}): Promise<RunningStore> {
  const storeId = config.RS_STORE_ID;
  const logger = options.logger ?? createLogger({ service: 'store', level: config.RS_LOG_LEVEL, bindings: { store_id: storeId } });
  const fs = options.fs ?? nodeFileSystem;
  const dir = storeDataDir(config);

  const receipts = await ReceiptIndex.open(dir, { fs, retentionMs: config.RS_IDEMPOTENCY_RETENTION_HOURS * 3_600_000, logger: logger.child({ component: 'receipts' }) });
  const buffer = await DiskBuffer.open<SaleEvent>(dir, {
    segmentBytes: config.RS_BUFFER_SEGMENT_BYTES,
    maxBytes: config.RS_BUFFER_MAX_BYTES,
    groupCommitWaitMs: config.RS_BUFFER_GROUP_COMMIT_WAIT_MS,
    groupCommitMaxBytes: config.RS_BUFFER_GROUP_COMMIT_MAX_BYTES,
    logger,
    fs,
    beforeSegmentDelete: (segment) => receipts.persistSegment(segment),
    onRecoveredRecord: (record) => receipts.remember(record.payload),
  });

  const shipper = createShipper(config, buffer, logger);

  const status = (): StoreStatus => {
    const stats = buffer.stats();
    const shipping = shipper.status();
    return {
      store_id: storeId,
      last_seq: stats.lastSeq,
      acked_seq: stats.ackedSeq,
      buffered_records: stats.records,
      buffered_bytes: stats.bytes,
      quarantined: stats.quarantined,
      oldest_unacked_at: stats.oldestUnackedAt,
      buffer_state: stats.state,
      buffer_fault: stats.fault,
      shipper: { endpoint: shipping.endpoint, state: shipping.state, last_error: shipping.last_error },
    };
  };

  const metrics = createStoreMetrics({ storeId, status, breakerStates: () => shipper.breakerStates?.() ?? [], logger, processMetrics: options.processMetrics });
  const intake = new SaleIntake({ storeId, buffer, receipts, logger });
  metrics.countResultsOf(intake);
  const app = buildIntakeServer({
    intake,
    status,
    metrics: metrics.registry,
    maxSalesPerRequest: config.RS_INTAKE_MAX_SALES_PER_REQUEST,
    bodyLimitBytes: config.RS_INTAKE_BODY_LIMIT_BYTES,
    rateLimit: { max: config.RS_INTAKE_RATE_LIMIT_MAX, windowMs: config.RS_INTAKE_RATE_LIMIT_WINDOW_MS },
    requestTimeoutMs: config.RS_INTAKE_REQUEST_TIMEOUT_MS,
    pressure: {
      maxEventLoopDelayMs: config.RS_STORE_MAX_EVENT_LOOP_DELAY_MS,
      maxHeapUsedBytes: Math.floor((getHeapStatistics().heap_size_limit * config.RS_STORE_MAX_HEAP_USED_PERCENT) / 100),
    },
    logger,
  });
  metrics.instrument(app);
  try {
    await app.listen({ host: config.RS_STORE_HOST, port: config.RS_STORE_PORT });
  } catch (error) {
    await buffer.close();
    throw error;
  }
  if (options.ship !== false) shipper.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.RS_STORE_PORT;
  const url = `http://${config.RS_STORE_HOST}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    status,
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await shipper.stop();
        await buffer.close();
        logger.info('store stopped');
      })()),
  };
}

/** The transport RS_TRANSPORT names; both move the ack cursor only over events the other side made durable. */
function createShipper(config: StoreConfig, buffer: DiskBuffer<SaleEvent>, logger: Logger): Shipper {
  const storeId = config.RS_STORE_ID;
  const credentials = shipperCredentialsFrom(config);
  if (config.RS_TRANSPORT === 'kafka') {
    return new KafkaShipper(buffer, {
      storeId,
      keySecret: config.RS_STORE_KEY_SECRET,
      credentials,
      brokers: config.RS_KAFKA_BROKERS,
      topic: config.RS_KAFKA_TOPIC,
      clientId: config.RS_KAFKA_CLIENT_ID,
      batchMaxEvents: config.RS_KAFKA_BATCH_MAX_EVENTS,
      batchMaxBytes: config.RS_KAFKA_BATCH_MAX_BYTES,
      requestTimeoutMs: config.RS_KAFKA_REQUEST_TIMEOUT_MS,
      sendRetries: config.RS_KAFKA_SEND_RETRIES,
      connectTimeoutMs: config.RS_SHIP_CONNECT_TIMEOUT_MS,
      backoffBaseMs: config.RS_SHIP_BACKOFF_BASE_MS,
      backoffMaxMs: config.RS_SHIP_BACKOFF_MAX_MS,
      haltBackoffMs: config.RS_SHIP_AUTH_BACKOFF_MS,
      idlePollMs: config.RS_SHIP_IDLE_POLL_MS,
      logger,
    });
  }
  return new GrpcShipper(buffer, {
    storeId,
    keySecret: config.RS_STORE_KEY_SECRET,
    credentials,
    endpoints: config.RS_CENTRAL_GRPC_ENDPOINTS,
    batchMaxEvents: config.RS_SHIP_BATCH_MAX_EVENTS,
    batchMaxBytes: config.RS_SHIP_BATCH_MAX_BYTES,
    maxBatchesInFlight: config.RS_SHIP_MAX_BATCHES_IN_FLIGHT,
    ackTimeoutMs: config.RS_SHIP_ACK_TIMEOUT_MS,
    connectTimeoutMs: config.RS_SHIP_CONNECT_TIMEOUT_MS,
    backoffBaseMs: config.RS_SHIP_BACKOFF_BASE_MS,
    backoffMaxMs: config.RS_SHIP_BACKOFF_MAX_MS,
    authBackoffMs: config.RS_SHIP_AUTH_BACKOFF_MS,
    breakerFailures: config.RS_SHIP_BREAKER_FAILURES,
    breakerHalfOpenMs: config.RS_SHIP_BREAKER_HALF_OPEN_MS,
    idlePollMs: config.RS_SHIP_IDLE_POLL_MS,
    logger,
  });
}
