import { describe, expect, it } from 'vitest';
import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { storeErrors } from '../../errors.ts';
import { isBatchTooLarge, shouldRetryKafka } from './should-retry.ts';

const protocolError = (type: string, retriable = false) => new KafkaJSProtocolError({ message: type, type, code: 0, retriable } as never);

describe('Kafka shipper retry decision', () => {
  it('retries connection loss, timeouts and exhausted kafkajs retries', () => {
    expect(shouldRetryKafka(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:19092'))).toEqual({ retry: true });
    expect(shouldRetryKafka(new KafkaJSNumberOfRetriesExceeded(protocolError('NOT_LEADER_FOR_PARTITION', true), { retryCount: 5, retryTime: 100 }))).toEqual({ retry: true });
  });

  it('retries a fenced or out-of-sequence producer on a fresh producer', () => {
    expect(shouldRetryKafka(protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER'))).toEqual({ retry: true });
    expect(shouldRetryKafka(protocolError('INVALID_PRODUCER_EPOCH'))).toEqual({ retry: true });
  });

  it('parks on what only an operator can fix, also when wrapped by exhausted retries', () => {
    expect(shouldRetryKafka(protocolError('TOPIC_AUTHORIZATION_FAILED'))).toMatchObject({ retry: false, reason: expect.stringContaining('TOPIC_AUTHORIZATION_FAILED') });
    const wrapped = new KafkaJSNumberOfRetriesExceeded(protocolError('CLUSTER_AUTHORIZATION_FAILED'), { retryCount: 1, retryTime: 1 });
    expect(shouldRetryKafka(wrapped)).toMatchObject({ retry: false });
    expect(shouldRetryKafka(storeErrors.create('RS_ERR_BUFFER_IO', 'fsync failed'))).toMatchObject({ retry: false });
  });

  it('recognises a batch the broker found too large', () => {
    expect(isBatchTooLarge(protocolError('MESSAGE_TOO_LARGE'))).toBe(true);
    expect(isBatchTooLarge(new KafkaJSNumberOfRetriesExceeded(protocolError('RECORD_LIST_TOO_LARGE'), { retryCount: 0, retryTime: 0 }))).toBe(true);
    expect(isBatchTooLarge(protocolError('NOT_LEADER_FOR_PARTITION', true))).toBe(false);
  });
});
