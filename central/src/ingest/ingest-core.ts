/**
 * Ingest core, independent of the transport (gRPC now, the Kafka consumer later): takes one batch of
 * an already authenticated store and answers one ack per event.
 *
 * Invariant: an ack is returned only after everything it promises is durable — accepted events are in
 * the queue, rejected ones are in the dead-letter store, and the store's high-water seq is recorded.
 * If any of that fails the whole batch throws (retriable) and the store resends it; every write here
 * is idempotent (queue dedupe by event_id, dead letters upserted by id, progress keeps the max).
 */
import { createHash } from 'node:crypto';
import { envelopeSchema, isEventId, toFieldIssues } from '@retail-sync/libs/domain';
import type { Logger } from '@retail-sync/libs/log';
import type { DeadLetter, DeadLetterPort, OrderStorePort, QueuedEvent, QueuePort } from '@retail-sync/libs/ports';
import { createIngestTelemetry, type IngestTelemetry } from './ingest-telemetry.ts';

/** One event as a transport hands it over; `sale_json` stays raw bytes or text. */
export interface IngestEvent {
  event_id: string;
  store_id: string;
  seq: number;
  received_at: string;
  trace_id: string;
  sale_json: Uint8Array | string;
}

export interface IngestBatch {
  events: IngestEvent[];
  /** The highest seq the store has assigned; 0 when unknown. */
  high_water_seq: number;
}

export type IngestOutcome = 'ACCEPTED' | 'DUPLICATE' | 'REJECTED';

export interface IngestAck {
  event_id: string;
  seq: number;
  outcome: IngestOutcome;
  /** RS_ERR_… for REJECTED, '' otherwise. */
  reason_code: string;
  reason: string;
}

export interface IngestDependencies {
  queue: Pick<QueuePort, 'enqueue'>;
  orderStore: Pick<OrderStorePort, 'recordStoreProgress'>;
  deadLetters: Pick<DeadLetterPort, 'put'>;
  logger: Logger;
  /** Logs and counts each acked batch; default: logs only (a private registry). */
  telemetry?: IngestTelemetry;
  now?: () => Date;
}

export interface IngestCore {
  /** Checks, dead-letters and enqueues one batch of `storeId` (already authenticated). */
  ingestBatch(storeId: string, batch: IngestBatch): Promise<IngestAck[]>;
}

type Checked = { ok: true; event: QueuedEvent } | { ok: false; letter: DeadLetter };

export function createIngestCore(deps: IngestDependencies): IngestCore {
  const now = deps.now ?? (() => new Date());
  const telemetry = deps.telemetry ?? createIngestTelemetry(deps.logger);

  function check(storeId: string, wire: IngestEvent, at: string): Checked {
    const saleJson = typeof wire.sale_json === 'string' ? wire.sale_json : Buffer.from(wire.sale_json).toString('utf8');
    const envelope = { event_id: wire.event_id, store_id: wire.store_id, seq: wire.seq, received_at: wire.received_at, trace_id: wire.trace_id };
    const parsed = envelopeSchema.safeParse(envelope);
    let reasonCode: string | undefined;
    let reason = '';
    if (!parsed.success) {
      reasonCode = 'RS_ERR_INVALID_EVENT';
      reason = toFieldIssues(parsed.error).map((issue) => `${issue.field}: ${issue.rule}`).join('; ');
    } else if (wire.store_id !== storeId) {
      reasonCode = 'RS_ERR_STORE_MISMATCH';
      reason = `store_id: event of store '${wire.store_id}' sent by store '${storeId}'`;
    }
    if (reasonCode === undefined) return { ok: true, event: { ...envelope, sale_json: saleJson } };
    const eventIdKnown = isEventId(wire.event_id) && wire.store_id === storeId;
    return {
      ok: false,
      letter: {
        // A foreign or malformed event_id must not overwrite someone else's letter: derive a stable id
        // from what was sent instead, so a resend still upserts the same letter.
        id: eventIdKnown ? wire.event_id : `ingest:${storeId}:${digest(envelope, saleJson)}`,
        event_id: isEventId(wire.event_id) ? wire.event_id : null,
        // The sending store's stream carried it and its cursor moves past it: its reconciliation owns it.
        store_id: storeId,
        seq: Number.isSafeInteger(wire.seq) && wire.seq >= 1 ? wire.seq : null,
        trace_id: /^[0-9a-f]{32}$/.test(wire.trace_id) ? wire.trace_id : null,
        stage: 'ingest',
        reason_code: reasonCode,
        reason,
        attempts: 1,
        payload: saleJson,
        received_at: wire.received_at || null,
        created_at: at,
        replayed_at: null,
      },
    };
  }

  return {
    async ingestBatch(storeId, batch) {
      const startedAt = performance.now();
      const at = now().toISOString();
      const checked = batch.events.map((wire) => check(storeId, wire, at));
      const accepted = checked.flatMap((entry) => (entry.ok ? [entry.event] : []));
      const letters = checked.flatMap((entry) => (entry.ok ? [] : [entry.letter]));

      const [outcomes] = await Promise.all([
        deps.queue.enqueue(accepted),
        Promise.all(letters.map((letter) => deps.deadLetters.put(letter))),
        batch.high_water_seq > 0 ? deps.orderStore.recordStoreProgress(storeId, batch.high_water_seq, at) : undefined,
      ]);

      let next = 0;
      const acks = batch.events.map((wire, index): IngestAck => {
        const entry = checked[index]!;
        if (!entry.ok) return { event_id: wire.event_id, seq: wire.seq, outcome: 'REJECTED', reason_code: entry.letter.reason_code, reason: entry.letter.reason };
        const outcome = outcomes[next++] === 'duplicate' ? 'DUPLICATE' : 'ACCEPTED';
        return { event_id: wire.event_id, seq: wire.seq, outcome, reason_code: '', reason: '' };
      });
      const duplicate = acks.filter((ack) => ack.outcome === 'DUPLICATE').length;
      telemetry.batchAcked({
        storeId,
        events: batch.events.length,
        accepted: accepted.length - duplicate,
        duplicate,
        rejected: letters.length,
        rejectedReasonCodes: letters.map((letter) => letter.reason_code),
        highWaterSeq: batch.high_water_seq,
        durationSeconds: (performance.now() - startedAt) / 1000,
      });
      return acks;
    },
  };
}

function digest(envelope: object, payload: string): string {
  return createHash('sha256').update(JSON.stringify(envelope)).update('\n').update(payload).digest('hex').slice(0, 32);
}
