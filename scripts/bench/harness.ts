/**
 * The bench's contract: every stage measures our code and its raw ceiling in the same process run,
 * interleaved (ours, ceiling, ours, ceiling …) so that load from whatever else shares the machine
 * lands on both alike, and reports medians. A stage returns figures, never asserts on them.
 */

export interface Scale {
  quick: boolean;
  /** Interleaved rounds of ours and the ceiling; each figure reported is the median over them. */
  rounds: number;
  /** The full run's value, or the quick run's. */
  pick<T>(full: T, quick: T): T;
}

export function scaleOf(quick: boolean): Scale {
  return { quick, rounds: quick ? 2 : 3, pick: (full, small) => (quick ? small : full) };
}

/** Named numeric figures, e.g. { events_per_s: 12000, p99_ms: 4.1 }. */
export type Figures = Record<string, number>;

export interface StageResult {
  /** Our code's figures (medians over the rounds). */
  ours: Figures;
  /** The raw ceiling's figures; null where the issue asks for none (end to end, memory). */
  ceiling: Figures | null;
  /** Ours ÷ ceiling on the headline figure (throughput, or ceiling time ÷ our time). */
  ratio: number | null;
  /** What the issue asks, in words: "≥ 0.5", "store ≤ 150 MiB", or null when it only asks for the figure. */
  target: string | null;
  /** Whether the target is met; null without a target. */
  met: boolean | null;
  /** Set-up and method, one line each. */
  notes: string[];
  /** Where the time goes, for a missed target: a CPU profile's summary and what would close the gap. */
  profile?: string[];
}

export interface BenchContext {
  /** Scratch folder of this run (under the OS temp dir), removed at the end. */
  workDir: string;
  /** Progress line on stderr. */
  log(line: string): void;
  /** Results of the stages that already ran (the end-to-end stage sizes its load from the worker's). */
  results: ReadonlyMap<string, StageResult>;
}

export interface BenchStage {
  /** Stage id used by --only and as the report's section name. */
  name: string;
  /** One line: what "ours" and the ceiling are. */
  title: string;
  /** Real servers (scripts/services) and tools the stage needs. */
  needs: ReadonlyArray<'redis' | 'clickhouse' | 'kafka' | 'cassandra' | 'kcat'>;
  run(scale: Scale, context: BenchContext): Promise<StageResult>;
}

/** Runs ours and the ceiling alternately, `rounds` times each. */
export async function interleave<O, C>(rounds: number, ours: (round: number) => Promise<O>, ceiling: (round: number) => Promise<C>): Promise<{ ours: O[]; ceiling: C[] }> {
  const measured = { ours: [] as O[], ceiling: [] as C[] };
  for (let round = 0; round < rounds; round += 1) {
    measured.ours.push(await ours(round));
    measured.ceiling.push(await ceiling(round));
  }
  return measured;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Per-key median of figures measured in several rounds (keys of the first round). */
export function medianFigures(rounds: Figures[]): Figures {
  const keys = Object.keys(rounds[0] ?? {});
  return Object.fromEntries(keys.map((key) => [key, median(rounds.map((figures) => figures[key]!).filter((value) => Number.isFinite(value)))]));
}

/** Nearest-rank percentile of unsorted samples (p in 0..100). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Ratio result for a "≥ min" target. */
export function ratioTarget(ratio: number, min: number): Pick<StageResult, 'ratio' | 'target' | 'met'> {
  return { ratio, target: `≥ ${min}`, met: ratio >= min };
}

export const perSecond = (count: number, ms: number): number => (ms > 0 ? (count * 1000) / ms : Number.NaN);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Milliseconds `work` took (performance.now). */
export async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/**
 * Adds "where the time goes" to a result that missed its target; `explain` takes the profile. A
 * profile that fails is reported as such: the figures stand without it.
 */
export async function explainMiss(result: StageResult, explain: () => Promise<string[]>): Promise<StageResult> {
  if (result.met !== false) return result;
  try {
    return { ...result, profile: await explain() };
  } catch (error) {
    return { ...result, profile: [`profile could not be taken: ${error instanceof Error ? error.message : String(error)}`] };
  }
}

/** Rejects when `promise` has not settled within `ms` (so a stuck stage fails instead of hanging the run). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms / 1000} s`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
