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
    expect(newTraceId()).toMatch(/^[0-9a-f]{32}$/);
  });
});
