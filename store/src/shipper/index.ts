/**
 * Store → central transport over gRPC: one bidi Ship stream, batches from the ack cursor, failover
 * across endpoints with full-jitter backoff and per-endpoint circuit breakers.
 */
export { GrpcShipper, toWireEvent, type GrpcShipperOptions, type ShipperState, type ShipperStatus } from './grpc-shipper.ts';
export { shouldRetry, type RetryDecision } from './should-retry.ts';
export { fullJitterDelayMs } from './backoff.ts';
export { shipperConfigShape } from './config.ts';
