/**
 * The store → central Kafka contract: one record per sale event, keyed by store_id, so a store's events
 * share one partition and keep their order, and one offset is one event (a poison record costs one
 * event, never a batch). The value is JSON; `sale_json` stays the sale's raw text, so central keeps the
 * payload byte for byte. Kafka batches and compresses records on its own, so per-event records cost
 * little on the wire.
 *
 * Headers: `x-store-id`, `x-store-signature` = hex HMAC-SHA256(signing key, value), `content-type` (schema
 * + version) and, for an issued key, `x-store-key-id`. The signing key is kafkaSigningKeyFor(secret) for an
 * issued key, or storeKeyFor(dev secret, store_id) for the derived dev key (no key id header). The consumer
 * recomputes the signature with the key of the store the header names, so a record only counts for the
 * store whose key signed it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const KAFKA_HEADER_STORE_ID = 'x-store-id';
export const KAFKA_HEADER_SIGNATURE = 'x-store-signature';
export const KAFKA_HEADER_KEY_ID = 'x-store-key-id';
export const KAFKA_HEADER_CONTENT_TYPE = 'content-type';
/** Bump the version (v2 …) on any incompatible change; consumers dead-letter versions they do not know. */
export const KAFKA_SALE_EVENT_CONTENT_TYPE = 'application/vnd.retail-sync.sale-event.v1+json';

/** The record value: the event's envelope, its raw sale and the store's high-water seq at send time. */
export interface KafkaSaleEvent {
  event_id: string;
  store_id: string;
  seq: number;
  received_at: string;
  trace_id: string;
  /** The sale as the store buffered it (JSON text). */
  sale_json: string;
  /** The highest seq the store had assigned when it sent this record. */
  high_water_seq: number;
}

/** A record as any Kafka client takes it (structurally a kafkajs `Message`). */
export interface KafkaSaleRecord {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export type KafkaDecodeResult = { ok: true; event: KafkaSaleEvent } | { ok: false; reason: string };

export function encodeKafkaSaleEvent(event: KafkaSaleEvent): Buffer {
  const { event_id, store_id, seq, received_at, trace_id, sale_json, high_water_seq } = event;
  return Buffer.from(JSON.stringify({ event_id, store_id, seq, received_at, trace_id, sale_json, high_water_seq }), 'utf8');
}

/** Shape check only (types of the fields); the envelope rules are ingest's job. */
export function decodeKafkaSaleEvent(value: Uint8Array | null): KafkaDecodeResult {
  if (!value || value.length === 0) return { ok: false, reason: 'record has no value' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(value));
  } catch (error) {
    return { ok: false, reason: `value is not UTF-8 JSON: ${(error as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, reason: 'value is not a JSON object' };
  const record = parsed as Record<string, unknown>;
  const wrong: string[] = [];
  for (const field of ['event_id', 'store_id', 'received_at', 'trace_id', 'sale_json'] as const) {
    if (typeof record[field] !== 'string') wrong.push(`${field}: must be a string`);
  }
  for (const field of ['seq', 'high_water_seq'] as const) {
    if (!Number.isSafeInteger(record[field])) wrong.push(`${field}: must be an integer`);
  }
  if (wrong.length > 0) return { ok: false, reason: wrong.join('; ') };
  return {
    ok: true,
    event: {
      event_id: record.event_id as string,
      store_id: record.store_id as string,
      seq: record.seq as number,
      received_at: record.received_at as string,
      trace_id: record.trace_id as string,
      sale_json: record.sale_json as string,
      high_water_seq: record.high_water_seq as number,
    },
  };
}

/** Hex HMAC-SHA256 of the record value under the store's key. */
export function signKafkaValue(storeKey: string, value: Uint8Array): string {
  return createHmac('sha256', storeKey).update(value).digest('hex');
}

/** Constant-time check of a record's signature. */
export function isKafkaSignatureValid(storeKey: string, value: Uint8Array, signature: string): boolean {
  const expected = Buffer.from(signKafkaValue(storeKey, value), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The full record for one event: key, signed value, headers. `storeKey` = the signing key; `keyId` for an issued key. */
export function kafkaSaleRecord(event: KafkaSaleEvent, storeKey: string, keyId?: string): KafkaSaleRecord {
  const value = encodeKafkaSaleEvent(event);
  return {
    key: event.store_id,
    value,
    headers: {
      [KAFKA_HEADER_STORE_ID]: event.store_id,
      [KAFKA_HEADER_SIGNATURE]: signKafkaValue(storeKey, value),
      [KAFKA_HEADER_CONTENT_TYPE]: KAFKA_SALE_EVENT_CONTENT_TYPE,
      ...(keyId ? { [KAFKA_HEADER_KEY_ID]: keyId } : {}),
    },
  };
}

/** A header's value as text (Kafka clients hand headers over as Buffer, string or arrays of them). */
export function kafkaHeaderText(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  let value = headers?.[name];
  if (Array.isArray(value)) value = value[0];
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return undefined;
}
