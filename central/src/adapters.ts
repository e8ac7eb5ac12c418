/**
 * Picks central's adapters: RS_PROFILE chooses all of them (embedded: DuckDB files; production: BullMQ
 * on Redis, Cassandra), and RS_QUEUE_ADAPTER / RS_ORDER_STORE_ADAPTER override one port each. Workers
 * and ingest only ever see the ports.
 */
import { createCassandraDeadLetters, createCassandraOrderStore, createCassandraStoreCredentials } from '@retail-sync/libs/cassandra';
import { EmbeddedDeadLetters, EmbeddedOrderStore, EmbeddedStoreCredentials } from '@retail-sync/libs/embedded';
import type { Logger } from '@retail-sync/libs/log';
import type { DeadLetterPort, OrderStorePort, QueuePort, StoreCredentialPort } from '@retail-sync/libs/ports';
import type { CentralConfig } from './config.ts';
import { createBullmqQueue } from './queue/bullmq/index.ts';
import { EmbeddedQueue, embeddedQueueOptionsFrom } from './queue/embedded/index.ts';

export interface CentralAdapters {
  queue: QueuePort;
  orderStore: OrderStorePort;
  deadLetters: DeadLetterPort;
  /** Issued store keys; lives with the order store (same adapter, same file or keyspace). */
  credentials: StoreCredentialPort;
  /** Which adapter each port got, for the start-up log line. */
  chosen: { queue: 'embedded' | 'bullmq'; orderStore: 'embedded' | 'cassandra' };
}

export function chosenAdapters(config: CentralConfig): CentralAdapters['chosen'] {
  const production = config.RS_PROFILE === 'production';
  return {
    queue: config.RS_QUEUE_ADAPTER ?? (production ? 'bullmq' : 'embedded'),
    orderStore: config.RS_ORDER_STORE_ADAPTER ?? (production ? 'cassandra' : 'embedded'),
  };
}

/**
 * Opens and migrates the adapters; `onOpened` receives each closer as soon as it exists, so a failure
 * half-way still releases what was opened.
 */
export async function openAdapters(config: CentralConfig, logger: Logger, onOpened: (close: () => Promise<void>) => void): Promise<CentralAdapters> {
  const chosen = chosenAdapters(config);
  const queue: QueuePort =
    chosen.queue === 'bullmq' ? createBullmqQueue(config, { logger }) : await EmbeddedQueue.open(embeddedQueueOptionsFrom(config, config.queueDbPath, logger));
  onOpened(() => queue.close());

  let orderStore: OrderStorePort;
  let deadLetters: DeadLetterPort;
  let credentials: StoreCredentialPort;
  if (chosen.orderStore === 'cassandra') {
    orderStore = await createCassandraOrderStore(config);
    onOpened(() => orderStore.close());
    deadLetters = await createCassandraDeadLetters(config);
    onOpened(() => deadLetters.close());
    credentials = await createCassandraStoreCredentials(config);
    onOpened(() => credentials.close());
  } else {
    orderStore = await EmbeddedOrderStore.open(config.ordersDbPath);
    onOpened(() => orderStore.close());
    deadLetters = await EmbeddedDeadLetters.open(config.ordersDbPath);
    onOpened(() => deadLetters.close());
    credentials = await EmbeddedStoreCredentials.open(config.ordersDbPath);
    onOpened(() => credentials.close());
  }
  await orderStore.migrate();
  await deadLetters.migrate();
  await credentials.migrate();
  return { queue, orderStore, deadLetters, credentials, chosen };
}
