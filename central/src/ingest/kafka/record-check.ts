/**
 * Checks one Kafka record before it reaches the ingest core: who signed it, then whether it decodes.
 * A record that fails either check becomes a dead letter (stage 'kafka') with the raw value kept, so
 * it never blocks its partition. An unauthenticated record names no store in its letter: its claims
 * are not trusted, and reconciliation must not count a forged seq as accounted for.
 * The signing key of a record comes from `signingKeyFor` (issued keys and, if allowed, derived dev keys;
 * resolved for a whole chunk beforehand by `resolveSigningKeys`, as the lookup is async) or, without
 * it, is the derived dev key of `storeKeySecret`.
 */
import { createHash } from 'node:crypto';
import { storeKeyFor } from '@retail-sync/libs/domain';
import type { DeadLetter } from '@retail-sync/libs/ports';
import {
  decodeKafkaSaleEvent,
  isKafkaSignatureValid,
  KAFKA_HEADER_CONTENT_TYPE,
  KAFKA_HEADER_KEY_ID,
  KAFKA_HEADER_SIGNATURE,
  KAFKA_HEADER_STORE_ID,
  KAFKA_SALE_EVENT_CONTENT_TYPE,
  kafkaHeaderText,
} from '@retail-sync/libs/proto';
import type { Catalog } from '../../catalog/index.ts';
import type { IngestEvent } from '../ingest-core.ts';
import type { StoreKeyVerifier } from '../store-credentials.ts';

/** What kafkajs hands over per record (structurally its `KafkaMessage`). */
export interface KafkaRecordIn {
  offset: string;
  timestamp: string;
  value: Buffer | null;
  headers?: Record<string, unknown>;
}

export interface RecordCheckContext {
  topic: string;
  partition: number;
  /** Derived dev keys only; ignored when `signingKeyFor` is given. */
  storeKeySecret: string;
  /** The key a store's records must be signed with (see resolveSigningKeys), or why there is none. */
  signingKeyFor?: SigningKeyLookup;
  /** When given, a store must also be in the catalog (as for gRPC). */
  catalog?: Pick<Catalog, 'store'>;
  now: string;
}

export type CheckedRecord =
  | { ok: true; storeId: string; event: IngestEvent; highWaterSeq: number }
  | { ok: false; letter: DeadLetter };

export function checkRecord(record: KafkaRecordIn, context: RecordCheckContext): CheckedRecord {
  const storeId = kafkaHeaderText(record.headers, KAFKA_HEADER_STORE_ID);
  const signature = kafkaHeaderText(record.headers, KAFKA_HEADER_SIGNATURE);
  const value = record.value ?? Buffer.alloc(0);
  const unauthenticated = (reason: string) => ({ ok: false as const, letter: letterFor(record, context, null, 'RS_ERR_UNAUTHENTICATED', reason) });
  if (!storeId) return unauthenticated(`missing ${KAFKA_HEADER_STORE_ID} header`);
  if (!signature) return unauthenticated(`missing ${KAFKA_HEADER_SIGNATURE} header (claimed store '${storeId}')`);
  const keyId = kafkaHeaderText(record.headers, KAFKA_HEADER_KEY_ID);
  const signingKey = context.signingKeyFor ? context.signingKeyFor(storeId, keyId) : { key: storeKeyFor(context.storeKeySecret, storeId) };
  if ('reason' in signingKey) return unauthenticated(`${signingKey.reason} (claimed store '${storeId}')`);
  if (!isKafkaSignatureValid(signingKey.key, value, signature)) {
    return unauthenticated(`signature is not valid for store '${storeId}'${keyId ? ` key ${keyId}` : ''}`);
  }
  if (context.catalog && !context.catalog.store(storeId)) return unauthenticated(`store '${storeId}' is not in the catalog`);

  const contentType = kafkaHeaderText(record.headers, KAFKA_HEADER_CONTENT_TYPE);
  if (contentType !== undefined && contentType !== KAFKA_SALE_EVENT_CONTENT_TYPE) {
    return { ok: false, letter: letterFor(record, context, storeId, 'RS_ERR_INVALID_EVENT', `unsupported content-type '${contentType}' (this central reads ${KAFKA_SALE_EVENT_CONTENT_TYPE})`) };
  }
  const decoded = decodeKafkaSaleEvent(value);
  if (!decoded.ok) return { ok: false, letter: letterFor(record, context, storeId, 'RS_ERR_INVALID_EVENT', `undecodable record: ${decoded.reason}`) };
  const { high_water_seq: highWaterSeq, ...event } = decoded.event;
  return { ok: true, storeId, event, highWaterSeq };
}

export type SigningKeyLookup = (storeId: string, keyId: string | undefined) => { key: string } | { reason: string };

/** Looks up, once per (store, key id) of a chunk, the signing keys its records claim. */
export async function resolveSigningKeys(records: readonly KafkaRecordIn[], verifier: Pick<StoreKeyVerifier, 'signingKey'>): Promise<SigningKeyLookup> {
  const resolved = new Map<string, { key: string } | { reason: string }>();
  const slot = (storeId: string, keyId: string | undefined) => `${storeId}\u0000${keyId ?? ''}`;
  for (const record of records) {
    const storeId = kafkaHeaderText(record.headers, KAFKA_HEADER_STORE_ID);
    if (!storeId) continue;
    const keyId = kafkaHeaderText(record.headers, KAFKA_HEADER_KEY_ID);
    if (!resolved.has(slot(storeId, keyId))) resolved.set(slot(storeId, keyId), await verifier.signingKey(storeId, keyId));
  }
  return (storeId, keyId) => resolved.get(slot(storeId, keyId)) ?? { reason: 'signing key not resolved' };
}

function letterFor(record: KafkaRecordIn, context: RecordCheckContext, storeId: string | null, reasonCode: string, reason: string): DeadLetter {
  const value = record.value ?? Buffer.alloc(0);
  const text = utf8OrUndefined(value);
  const timestampMs = Number(record.timestamp);
  return {
    // One letter per record position: a redelivered record upserts the same letter, and a forged
    // record cannot overwrite the letter of a real event_id.
    id: `kafka:${context.topic}:${context.partition}:${record.offset}`,
    event_id: null,
    store_id: storeId,
    seq: null,
    trace_id: null,
    stage: 'kafka',
    reason_code: reasonCode,
    reason: text === undefined ? `${reason} (payload kept as base64: not UTF-8; sha256 ${createHash('sha256').update(value).digest('hex').slice(0, 16)})` : reason,
    attempts: 1,
    payload: text ?? value.toString('base64'),
    received_at: Number.isFinite(timestampMs) && timestampMs > 0 ? new Date(timestampMs).toISOString() : null,
    created_at: context.now,
    replayed_at: null,
  };
}

function utf8OrUndefined(value: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(value);
  } catch {
    return undefined;
  }
}
