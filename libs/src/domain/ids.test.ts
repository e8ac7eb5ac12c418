import { describe, expect, it } from 'vitest';
import { isEventId, newEventId, newTraceId } from './ids.ts';

describe('ids', () => {
  it('makes UUIDv7 event ids that sort by creation time', () => {
    const ids = Array.from({ length: 200 }, () => newEventId());
    expect(ids.every(isEventId)).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('rejects ids of other versions and trace ids are 32 hex characters', () => {
    expect(isEventId('4b8f8c2e-3f3e-4c8a-9d3e-8b2f7c1a9e10')).toBe(false);
    const traces = Array.from({ length: 1_000 }, () => newTraceId()); // spans several refills of the random pool
    expect(traces.every((trace) => /^[0-9a-f]{32}$/.test(trace))).toBe(true);
    expect(new Set(traces).size).toBe(traces.length);
  });
});
