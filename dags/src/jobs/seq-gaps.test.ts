import { describe, expect, it } from 'vitest';
import type { StoredSeq } from '@retail-sync/libs/ports';
import { datedSeqGaps, LISTED_GAPS } from './seq-gaps.ts';

const stored = (entries: Array<[number, string]>): StoredSeq[] => entries.map(([seq, business_date]) => ({ seq, business_date, event_id: `e${seq}` }));
const asObject = (gaps: ReturnType<typeof datedSeqGaps>) => ({ byDate: Object.fromEntries(gaps.byDate), undated: gaps.undated });

describe('datedSeqGaps', () => {
  it('finds no gap when every acked seq is stored or dead-lettered', () => {
    const gaps = datedSeqGaps(4, stored([[1, 'd1'], [2, 'd1'], [4, 'd2']]), [3]);
    expect(asObject(gaps)).toEqual({ byDate: {}, undated: { count: 0, seqs: [] } });
  });

  it('dates a gap by the stored seq just below it, also across a day boundary and at the tail', () => {
    const gaps = datedSeqGaps(8, stored([[1, 'd1'], [3, 'd1'], [5, 'd2'], [6, 'd2']]), []);
    expect(asObject(gaps)).toEqual({ byDate: { d1: { count: 2, seqs: [2, 4] }, d2: { count: 2, seqs: [7, 8] } }, undated: { count: 0, seqs: [] } });
  });

  it('gives gaps below the first stored seq to that seq\'s day, listed first', () => {
    const gaps = datedSeqGaps(5, stored([[3, 'd2'], [4, 'd2']]), []);
    expect(gaps.byDate.get('d2')).toEqual({ count: 3, seqs: [1, 2, 5] });
  });

  it('reports the gaps of a store with nothing stored as undated', () => {
    const gaps = datedSeqGaps(3, [], [2]);
    expect(asObject(gaps)).toEqual({ byDate: {}, undated: { count: 2, seqs: [1, 3] } });
  });

  it('counts every gap but lists at most the first hundred', () => {
    const gaps = datedSeqGaps(1_000, stored([[1, 'd1']]), []);
    expect(gaps.byDate.get('d1')!.count).toBe(999);
    expect(gaps.byDate.get('d1')!.seqs).toHaveLength(LISTED_GAPS);
    expect(gaps.byDate.get('d1')!.seqs[0]).toBe(2);
  });

  it('ignores stored and dead-lettered seqs above the acked high-water', () => {
    expect(asObject(datedSeqGaps(2, stored([[1, 'd1'], [2, 'd1'], [9, 'd3']]), [7]))).toEqual({ byDate: {}, undated: { count: 0, seqs: [] } });
  });
});
