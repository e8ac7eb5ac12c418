/**
 * Dead-letter replay: an operator fixed the cause (the catalog, say) and sends the event through the
 * queue again.
 *
 * Why the job id stays the event_id: the queue forgets given-up jobs (the dead-letter store owns them),
 * so the original id is accepted again; and if the event was in fact stored since, the queue answers
 * 'duplicate' and nothing runs twice. Either way the order-store write is idempotent on event_id, so
 * replaying twice still leaves one row.
 *
 * Order matters: the letter is marked replayed *before* the enqueue, so a replay that fails again
 * (which upserts the letter with replayed_at = null) can never be hidden by a late markReplayed.
 */
import type { Logger } from '@retail-sync/libs/log';
import type { DeadLetterPort, EnqueueOutcome, QueuePort } from '@retail-sync/libs/ports';
import { centralErrors } from '../errors.ts';

export interface ReplayResult {
  id: string;
  event_id: string;
  /** 'accepted': queued again. 'duplicate': the event is already queued or was stored recently. */
  outcome: EnqueueOutcome;
  replayed_at: string;
}

export interface ReplayOptions {
  queue: Pick<QueuePort, 'enqueue'>;
  deadLetters: Pick<DeadLetterPort, 'get' | 'put' | 'markReplayed'>;
  logger: Logger;
  now?: () => Date;
}

export type ReplayDeadLetter = (id: string) => Promise<ReplayResult>;

export function createDeadLetterReplayer(options: ReplayOptions): ReplayDeadLetter {
  const now = options.now ?? (() => new Date());
  return async function replayDeadLetter(id) {
    const letter = await options.deadLetters.get(id);
    if (!letter) throw centralErrors.create('RS_ERR_DEAD_LETTER_NOT_FOUND', `no dead letter '${id}'`);
    const { event_id, store_id, seq, trace_id, received_at } = letter;
    if (event_id === null || event_id !== letter.id || store_id === null || seq === null || trace_id === null || received_at === null) {
      throw centralErrors.create('RS_ERR_NOT_REPLAYABLE', `dead letter '${id}' has no complete envelope (${letter.reason_code}); the store must resend a corrected event`);
    }
    const replayedAt = now().toISOString();
    await options.deadLetters.markReplayed(id, replayedAt);
    let outcome: EnqueueOutcome;
    try {
      [outcome] = (await options.queue.enqueue([{ event_id, store_id, seq, trace_id, received_at, sale_json: letter.payload }])) as [EnqueueOutcome];
    } catch (error) {
      await options.deadLetters.put(letter);
      throw error;
    }
    options.logger.info({ id, event_id, store_id, seq, outcome }, 'dead letter replayed');
    return { id, event_id, outcome, replayed_at: replayedAt };
  };
}
