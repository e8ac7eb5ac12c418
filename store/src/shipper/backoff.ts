/**
 * Exponential backoff with full jitter: a delay drawn uniformly from [0, min(max, base·2^attempt)].
 * Full jitter spreads a fleet of stores that lost central at the same moment, so they do not come back
 * in lockstep (AWS Architecture Blog, "Exponential Backoff And Jitter").
 */
export function fullJitterDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
