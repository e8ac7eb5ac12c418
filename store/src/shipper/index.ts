/**
 * Store → central transports behind one `Shipper` interface: a gRPC bidi stream (per-event acks,
 * endpoint failover, circuit breakers) or a Kafka topic (idempotent producer, acks=all, key = store id).
 */
export type { BreakerState, Shipper, ShipperState, ShipperStatus } from './shipper.ts';
export { GrpcShipper, toWireEvent, type GrpcShipperOptions } from './grpc-shipper.ts';
export { KafkaShipper, type KafkaShipperOptions } from './kafka/index.ts';
export { shouldRetry, type RetryDecision } from './should-retry.ts';
export { fullJitterDelayMs } from './backoff.ts';
export { shipperConfigShape, TRANSPORTS, type Transport } from './config.ts';
