/**
 * How hard the *.torture.test.ts suites push. `npm test` runs them at a quick scale (a few seconds
 * each); `npm run test:torture` sets RS_TORTURE_SCALE=full for the counts the buffer's acceptance
 * criteria name (10,000 power-loss simulations, 1,000 model runs of up to 200 actions). Every failure
 * prints its seed; RS_TORTURE_SEED=<n> replays from that seed.
 */
export const TORTURE_FULL = process.env.RS_TORTURE_SCALE === 'full';

export function tortureCount(quick: number, full: number): number {
  return TORTURE_FULL ? full : quick;
}

/** The first seed of a run: RS_TORTURE_SEED, else random (printed, so any failure can be replayed). */
export function tortureBaseSeed(): number {
  const fixed = Number(process.env.RS_TORTURE_SEED);
  return Number.isSafeInteger(fixed) && process.env.RS_TORTURE_SEED !== undefined ? fixed : Math.floor(Math.random() * 2 ** 31);
}
