import { describe, expect, it } from 'vitest';
import { fullJitterDelayMs } from './backoff.ts';

describe('fullJitterDelayMs', () => {
  it('draws from 0 up to base·2^attempt (full jitter, not a fixed delay)', () => {
    expect(fullJitterDelayMs(0, 200, 30_000, () => 0)).toBe(0);
    expect(fullJitterDelayMs(0, 200, 30_000, () => 0.999)).toBe(199);
    expect(fullJitterDelayMs(3, 200, 30_000, () => 0.999)).toBe(1598);
    expect(fullJitterDelayMs(3, 200, 30_000, () => 0.5)).toBe(800);
  });

  it('never exceeds the cap, however many attempts failed', () => {
    for (const attempt of [8, 20, 64, 10_000]) expect(fullJitterDelayMs(attempt, 200, 30_000, () => 0.999)).toBe(29_970);
  });

  it('spreads a fleet: delays for the same attempt differ between stores', () => {
    const delays = new Set(Array.from({ length: 50 }, () => fullJitterDelayMs(5, 200, 30_000)));
    expect(delays.size).toBeGreaterThan(25);
    for (const delay of delays) expect(delay).toBeLessThan(6_400);
  });
});
