/**
 * The Kafka shipper's retry decision, one pure function keyed on kafkajs's error `type` (the broker's
 * error code name, kafkajs src/protocol/error.js) anywhere in the cause chain, or our own code.
 * "No" never drops data: the shipper parks for RS_SHIP_AUTH_BACKOFF_MS and tries again, because only
 * an operator can fix these. Producer-state errors (sequence, epoch) are retried on a fresh producer:
 * the consumer dedupes whatever a resend doubles.
 */
import { errorCode } from '@retail-sync/libs/errors';
import type { RetryDecision } from '../should-retry.ts';

const OPERATOR_FIXES: Record<string, string> = {
  TOPIC_AUTHORIZATION_FAILED: 'the broker refuses this store write access to the topic (ACLs)',
  CLUSTER_AUTHORIZATION_FAILED: 'the broker refuses the idempotent producer (IDEMPOTENT_WRITE on the cluster)',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'the broker refuses the producer id',
  SASL_AUTHENTICATION_FAILED: 'the broker refused the SASL credential',
  INVALID_TOPIC_EXCEPTION: 'RS_KAFKA_TOPIC is not a valid topic name',
  UNSUPPORTED_VERSION: 'the broker does not speak a protocol version kafkajs 2.2.4 needs',
};

/** Broker says the produce request or one record batch exceeds its limits: send fewer events at once. */
const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

export function shouldRetryKafka(error: unknown): RetryDecision {
  const code = errorCode(error);
  if (code === 'RS_ERR_BUFFER_IO' || code === 'RS_ERR_BUFFER_CLOSED') return { retry: false, reason: 'the buffer stopped; the store must restart' };
  for (const type of kafkaErrorTypes(error)) {
    const reason = OPERATOR_FIXES[type];
    if (reason) return { retry: false, reason: `${reason} (${type})` };
  }
  // Connection loss, timeouts, leader moves, KafkaJSNumberOfRetriesExceeded, producer fencing: transient.
  return { retry: true };
}

/** True when the broker refused the batch for its size; the shipper halves its batch and resends. */
export function isBatchTooLarge(error: unknown): boolean {
  return kafkaErrorTypes(error).some((type) => TOO_LARGE.has(type));
}

/** kafkajs protocol error types along the cause chain (KafkaJSNumberOfRetriesExceeded wraps the last one). */
function kafkaErrorTypes(error: unknown): string[] {
  const types: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const type = (current as { type?: unknown }).type;
    if (typeof type === 'string') types.push(type);
    current = (current as { cause?: unknown }).cause ?? (current as { originalError?: unknown }).originalError;
  }
  return types;
}
