/**
 * Creates the stores' topic if it is missing, and waits for its partition leaders: kafkajs on KRaft
 * fails a subscribe to a topic that does not exist yet ("This server does not host this
 * topic-partition", tulios/kafkajs #1563), so central creates it before its consumers join. Idempotent:
 * a topic that exists (or that another replica creates at the same moment) is left as it is.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { Logger } from '@retail-sync/libs/log';
import { kafkaLogCreator } from '@retail-sync/libs/kafka';

export interface EnsureTopicOptions {
  brokers: string[];
  topic: string;
  partitions: number;
  replicationFactor: number;
  clientId?: string;
  logger: Logger;
}

/** Resolves with what happened: 'created', or 'exists' (with its partition count). */
export async function ensureKafkaTopic(options: EnsureTopicOptions): Promise<{ outcome: 'created' | 'exists'; partitions: number }> {
  const kafka = new Kafka({ clientId: options.clientId ?? 'retail-sync-admin', brokers: options.brokers, logLevel: logLevel.WARN, logCreator: kafkaLogCreator(options.logger) });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: options.topic, numPartitions: options.partitions, replicationFactor: options.replicationFactor }],
    });
    const metadata = await admin.fetchTopicMetadata({ topics: [options.topic] });
    const partitions = metadata.topics[0]?.partitions.length ?? 0;
    if (created) options.logger.info({ topic: options.topic, partitions }, 'Kafka topic created');
    else if (partitions < options.partitions) {
      options.logger.warn({ topic: options.topic, partitions, wanted: options.partitions }, 'Kafka topic exists with fewer partitions than RS_KAFKA_PARTITIONS; left as it is');
    }
    return { outcome: created ? 'created' : 'exists', partitions };
  } finally {
    await admin.disconnect();
  }
}
