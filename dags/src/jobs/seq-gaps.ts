/**
 * Seq gaps of one store, dated. A gap is a seq in 1..acked high-water that is neither stored nor held by
 * an unreplayed dead letter. A missing sale has no business date of its own, so a gap is attributed to
 * the day of the stored seq just below it (the store's log is in seq order, so the lost sale happened at
 * or after that one); gaps below the first stored seq go to that first seq's day; and a store with an
 * acked range but nothing stored at all has undated gaps, which every reconciled day reports.
 */
import type { StoredSeq } from '@retail-sync/libs/ports';

/** Gap seqs listed per day at most (the count is always exact). */
export const LISTED_GAPS = 100;

export interface DatedGaps {
  count: number;
  /** The first LISTED_GAPS gap seqs. */
  seqs: number[];
}

export interface StoreGaps {
  byDate: Map<string, DatedGaps>;
  /** Gaps of a store with nothing stored to date them by. */
  undated: DatedGaps;
}

/**
 * Gaps among seqs fromSeq..ackedHighWater, given the stored seqs of that range. A caller that reads only a
 * window passes a fromSeq that is itself stored (or 1), so the first gaps of the window are dated right.
 */
export function datedSeqGaps(ackedHighWater: number, stored: readonly StoredSeq[], deadLettered: readonly number[], fromSeq = 1): StoreGaps {
  const dateOfSeq = new Map<number, string>();
  for (const row of stored) if (!dateOfSeq.has(row.seq)) dateOfSeq.set(row.seq, row.business_date);
  const lettered = new Set(deadLettered);
  const byDate = new Map<string, DatedGaps>();
  const leading: number[] = [];
  let lastDate: string | undefined;
  const add = (gaps: DatedGaps, seq: number) => {
    gaps.count += 1;
    if (gaps.seqs.length < LISTED_GAPS) gaps.seqs.push(seq);
  };
  for (let seq = fromSeq; seq <= ackedHighWater; seq += 1) {
    const date = dateOfSeq.get(seq);
    if (date !== undefined) {
      lastDate = date;
      continue;
    }
    if (lettered.has(seq)) continue;
    if (lastDate === undefined) {
      leading.push(seq);
      continue;
    }
    let gaps = byDate.get(lastDate);
    if (!gaps) byDate.set(lastDate, (gaps = { count: 0, seqs: [] }));
    add(gaps, seq);
  }
  const undated: DatedGaps = { count: 0, seqs: [] };
  if (leading.length > 0) {
    const firstStored = [...dateOfSeq.keys()].filter((seq) => seq <= ackedHighWater).sort((a, b) => a - b)[0];
    const firstDate = firstStored === undefined ? undefined : dateOfSeq.get(firstStored);
    let target = undated;
    if (firstDate !== undefined) {
      target = byDate.get(firstDate) ?? { count: 0, seqs: [] };
      byDate.set(firstDate, target);
    }
    // Leading gaps come first in seq order: put them in front of what the day already lists.
    const merged = [...leading, ...target.seqs];
    target.count += leading.length;
    target.seqs = merged.slice(0, LISTED_GAPS);
  }
  return { byDate, undated };
}
