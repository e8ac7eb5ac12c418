/**
 * Kafka transport of central ingest: a consumer group on the stores' topic that checks each record's
 * store signature, hands events to the ingest core and commits offsets only after they are durable.
 */
export { startKafkaIngest, type KafkaIngest, type KafkaIngestDependencies } from './kafka-ingest.ts';
export { kafkaIngestConfigShape, kafkaIngestConfigSchema, type KafkaIngestSettings } from './config.ts';
export { ensureKafkaTopic, type EnsureTopicOptions } from './topic.ts';
export { checkRecord, type CheckedRecord, type KafkaRecordIn, type RecordCheckContext } from './record-check.ts';
