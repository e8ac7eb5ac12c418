import { describe, expect, it } from 'vitest';
import { storeKeyFor } from '../domain/credentials.ts';
import {
  decodeKafkaSaleEvent,
  isKafkaSignatureValid,
  KAFKA_HEADER_CONTENT_TYPE,
  KAFKA_HEADER_SIGNATURE,
  KAFKA_HEADER_STORE_ID,
  KAFKA_SALE_EVENT_CONTENT_TYPE,
  kafkaHeaderText,
  kafkaSaleRecord,
  type KafkaSaleEvent,
} from './kafka-message.ts';

const SECRET = 'test-secret';
const event: KafkaSaleEvent = {
  event_id: '0190f3a2-7c4e-7b1a-9f00-0123456789ab',
  store_id: 'nyc-001',
  seq: 7,
  received_at: '2026-03-08T14:15:00.000Z',
  trace_id: '0123456789abcdef0123456789abcdef',
  sale_json: '{"receipt_no":"R7","note":"Crème brûlée ✓"}',
  high_water_seq: 9,
};

describe('Kafka sale-event record', () => {
  it('round-trips an event, keeping the sale text byte for byte', () => {
    const record = kafkaSaleRecord(event, storeKeyFor(SECRET, event.store_id));
    const decoded = decodeKafkaSaleEvent(record.value);
    expect(decoded).toEqual({ ok: true, event });
    if (decoded.ok) expect(Buffer.from(decoded.event.sale_json)).toEqual(Buffer.from(event.sale_json));
  });

  it('is keyed by store id and carries store, signature and content type headers', () => {
    const record = kafkaSaleRecord(event, storeKeyFor(SECRET, event.store_id));
    expect(record.key).toBe('nyc-001');
    expect(record.headers[KAFKA_HEADER_STORE_ID]).toBe('nyc-001');
    expect(record.headers[KAFKA_HEADER_CONTENT_TYPE]).toBe(KAFKA_SALE_EVENT_CONTENT_TYPE);
    expect(record.headers[KAFKA_HEADER_SIGNATURE]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts the signature only under the key of the store that signed', () => {
    const record = kafkaSaleRecord(event, storeKeyFor(SECRET, 'nyc-001'));
    const signature = record.headers[KAFKA_HEADER_SIGNATURE]!;
    expect(isKafkaSignatureValid(storeKeyFor(SECRET, 'nyc-001'), record.value, signature)).toBe(true);
    expect(isKafkaSignatureValid(storeKeyFor(SECRET, 'bos-001'), record.value, signature)).toBe(false);
    expect(isKafkaSignatureValid(storeKeyFor('other-secret', 'nyc-001'), record.value, signature)).toBe(false);
  });

  it('rejects a signature once a single byte of the value changed', () => {
    const record = kafkaSaleRecord(event, storeKeyFor(SECRET, 'nyc-001'));
    const tampered = Buffer.from(record.value);
    tampered[tampered.indexOf('7')] = '8'.charCodeAt(0);
    expect(isKafkaSignatureValid(storeKeyFor(SECRET, 'nyc-001'), tampered, record.headers[KAFKA_HEADER_SIGNATURE]!)).toBe(false);
    expect(isKafkaSignatureValid(storeKeyFor(SECRET, 'nyc-001'), record.value, 'abc')).toBe(false);
  });

  it('explains why garbage, non-objects and wrongly typed fields do not decode', () => {
    expect(decodeKafkaSaleEvent(null)).toEqual({ ok: false, reason: 'record has no value' });
    expect(decodeKafkaSaleEvent(Buffer.from([0xff, 0xfe, 0x00, 0x81]))).toMatchObject({ ok: false, reason: expect.stringContaining('not UTF-8 JSON') });
    expect(decodeKafkaSaleEvent(Buffer.from('{"event_id":'))).toMatchObject({ ok: false, reason: expect.stringContaining('not UTF-8 JSON') });
    expect(decodeKafkaSaleEvent(Buffer.from('[1,2]'))).toEqual({ ok: false, reason: 'value is not a JSON object' });
    const wrong = decodeKafkaSaleEvent(Buffer.from(JSON.stringify({ ...event, seq: '7', sale_json: { a: 1 } })));
    expect(wrong).toEqual({ ok: false, reason: 'sale_json: must be a string; seq: must be an integer' });
  });

  it('reads header values whether a client hands them over as text, bytes or arrays', () => {
    expect(kafkaHeaderText({ a: 'x' }, 'a')).toBe('x');
    expect(kafkaHeaderText({ a: Buffer.from('y') }, 'a')).toBe('y');
    expect(kafkaHeaderText({ a: [Buffer.from('z'), Buffer.from('w')] }, 'a')).toBe('z');
    expect(kafkaHeaderText({}, 'a')).toBeUndefined();
    expect(kafkaHeaderText(undefined, 'a')).toBeUndefined();
  });
});
