/**
 * Progress of long CLI work (simulate, dag backfill, dlq replay) on stderr, so stdout keeps only results:
 * a cli-progress bar when stderr is a terminal; otherwise (a log file, CI, a pipe) one plain line every
 * `plainEveryMs` and one at the end, because a redrawn bar in a log is unreadable escape codes.
 */
import cliProgress from 'cli-progress';

export interface ProgressOptions<P extends object> {
  /** cli-progress format, e.g. `job [{bar}] {value}/{total} | failed {failed}`. */
  barFormat: string;
  /** The plain line for a non-terminal; omitted: nothing is printed there (the caller prints its own lines). */
  plainLine?: (value: number, total: number, payload: P) => string;
  /** @default 5000 */
  plainEveryMs?: number;
  /** @default process.stderr */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** @default Date.now */
  now?: () => number;
}

export interface Progress<P extends object> {
  start(total: number, payload: P): void;
  update(value: number, payload: P): void;
  /** A line on stdout that stays above the bar (the bar redraws below it on its next update). */
  log(line: string): void;
  stop(): void;
}

export function createProgress<P extends object>(options: ProgressOptions<P>): Progress<P> {
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar({ stream: stream as NodeJS.WriteStream, format: options.barFormat, hideCursor: true }, cliProgress.Presets.shades_classic);
    let running = false;
    return {
      start(total, payload) {
        bar.start(total, 0, payload);
        running = true;
      },
      update: (value, payload) => bar.update(value, payload),
      log(line) {
        if (running) stream.write('\r\x1b[2K');
        console.log(line);
      },
      stop() {
        if (running) bar.stop();
        running = false;
      },
    };
  }
  const now = options.now ?? Date.now;
  const every = options.plainEveryMs ?? 5_000;
  let state: { value: number; total: number; payload: P } | undefined;
  let printedAt = 0;
  let printed = '';
  const print = () => {
    if (!state || !options.plainLine) return;
    const line = options.plainLine(state.value, state.total, state.payload);
    printedAt = now();
    if (line === printed) return;
    printed = line;
    stream.write(`${line}\n`);
  };
  return {
    start(total, payload) {
      state = { value: 0, total, payload };
      print();
    },
    update(value, payload) {
      state = { value, total: state?.total ?? value, payload };
      if (now() - printedAt >= every) print();
    },
    log: (line) => console.log(line),
    stop() {
      print();
      state = undefined;
    },
  };
}
