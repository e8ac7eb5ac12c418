/**
 * Store → Kafka transport: an idempotent producer (acks=all, one request in flight) writes one signed
 * record per event, keyed by store id, from the buffer's ack cursor; the cursor moves on the broker's ack.
 */
export { KafkaShipper, type KafkaProducer, type KafkaShipperOptions } from './kafka-shipper.ts';
export { kafkaShipperConfigShape } from './config.ts';
export { shouldRetryKafka, isBatchTooLarge } from './should-retry.ts';
