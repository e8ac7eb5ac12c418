/**
 * Checks one Kafka record before it reaches the ingest core: who signed it, then whether it decodes.
 * A record that fails either check becomes a dead letter (stage 'kafka') with the raw value kept, so
 * it never blocks its partition. An unauthenticated record names no store in its letter: its claims
 * are not trusted, and reconciliation must not count a forged seq as accounted for.
 */
import { createHash } from 'node:crypto';
import { storeKeyFor } from '@retail-sync/libs/domain';
import type { DeadLetter } from '@retail-sync/libs/ports';
import {
  decodeKafkaSaleEvent,
  isKafkaSignatureValid,
  KAFKA_HEADER_CONTENT_TYPE,
  KAFKA_HEADER_SIGNATURE,
  KAFKA_HEADER_STORE_ID,
  KAFKA_SALE_EVENT_CONTENT_TYPE,
  kafkaHeaderText,
} from '@retail-sync/libs/proto';
import type { Catalog } from '../../catalog/index.ts';
import type { IngestEvent } from '../ingest-core.ts';

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
  storeKeySecret: string;
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
  if (!isKafkaSignatureValid(storeKeyFor(context.storeKeySecret, storeId), value, signature)) {
    return unauthenticated(`signature is not valid for store '${storeId}'`);
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
