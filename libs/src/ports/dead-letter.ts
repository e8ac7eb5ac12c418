/**
 * Dead-letter port: where every event that could not be stored goes, with the reason, never dropped.
 * An operator inspects and replays from here (after fixing the catalog, say).
 */

export type DeadLetterStage = 'ingest' | 'worker' | 'kafka';

export interface DeadLetter {
  /** Equal to event_id when it is known, so dead-lettering an event twice keeps one letter. */
  id: string;
  event_id: string | null;
  store_id: string | null;
  seq: number | null;
  trace_id: string | null;
  stage: DeadLetterStage;
  /** Stable error code (RS_ERR_…). */
  reason_code: string;
  /** Human message, with the field path for validation errors. */
  reason: string;
  attempts: number;
  /** The payload as received, byte for byte where it was text. */
  payload: string;
  received_at: string | null;
  created_at: string;
  /** Set when an operator replayed it; a replayed letter stays for the audit trail. */
  replayed_at: string | null;
}

export interface DeadLetterFilter {
  reasonCode?: string;
  storeId?: string;
  /** false: only letters not yet replayed. Default: all. */
  includeReplayed?: boolean;
  limit?: number;
}

export interface DeadLetterPort {
  migrate(): Promise<void>;
  /** Upserts by `id`: the same event dead-lettered again updates its letter (attempts, reason). */
  put(letter: DeadLetter): Promise<void>;
  list(filter?: DeadLetterFilter): Promise<DeadLetter[]>;
  get(id: string): Promise<DeadLetter | undefined>;
  markReplayed(id: string, at: string): Promise<void>;
  /** Letters of one store that are not replayed, by seq (reconciliation counts them as accounted for). */
  seqsForStore(storeId: string): Promise<number[]>;
  close(): Promise<void>;
}
