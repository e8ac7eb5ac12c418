/**
 * What the store needs from any transport to central (gRPC, Kafka): ship the buffer from its ack
 * cursor, move the cursor only over events the other side made durable, report how it goes.
 */

/** `unauthenticated`: central refused the credential; `halted`: a fault only an operator can fix (see last_error). */
export type ShipperState = 'idle' | 'connecting' | 'shipping' | 'backing_off' | 'unauthenticated' | 'halted' | 'stopped';

export interface ShipperStatus {
  /** Where it ships to: the gRPC endpoint in use, or the Kafka brokers. */
  endpoint: string | null;
  state: ShipperState;
  last_error: string | null;
  /** Events confirmed since start (central's ack, or the Kafka broker's acks=all). */
  acked_events: number;
  /** Events central acked as REJECTED since start (dead-lettered there; always 0 over Kafka, which has no per-event answer). */
  rejected_events: number;
}

/** A central endpoint's circuit breaker: closed (usable), open (skipped for now), half-open (one trial allowed). */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface Shipper {
  /** Starts shipping in the background; idempotent. */
  start(): void;
  /** Stops after the batch in flight; unconfirmed events stay in the buffer and are sent again next time. */
  stop(): Promise<void>;
  status(): ShipperStatus;
  /** Each endpoint's circuit breaker, in configuration order (transports with breakers only). */
  breakerStates?(): Array<{ endpoint: string; state: BreakerState }>;
}
