import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.ts';

function stream(isTTY: boolean): PassThrough & { isTTY: boolean; columns: number; text: () => string } {
  const out = Object.assign(new PassThrough(), { isTTY, columns: 120 });
  const chunks: string[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return Object.assign(out, { text: () => chunks.join('') });
}

describe('CLI progress', () => {
  it('off a terminal prints plain lines: at start, at most one per interval, and the final state at stop', () => {
    const out = stream(false);
    let now = 0;
    const progress = createProgress<{ failed: number }>({
      barFormat: 'x [{bar}] {value}/{total}',
      plainLine: (value, total, { failed }) => `done ${value}/${total} failed=${failed}`,
      plainEveryMs: 1_000,
      stream: out,
      now: () => now,
    });
    progress.start(10, { failed: 0 });
    progress.update(1, { failed: 0 });
    now = 500;
    progress.update(2, { failed: 0 });
    now = 1_000;
    progress.update(3, { failed: 1 });
    progress.update(10, { failed: 1 });
    progress.stop();
    expect(out.text()).toBe('done 0/10 failed=0\ndone 3/10 failed=1\ndone 10/10 failed=1\n');
    expect(out.text()).not.toContain('\x1b');
  });

  it('off a terminal and without a plain line prints nothing (the caller prints its own lines)', () => {
    const out = stream(false);
    const progress = createProgress<{ queue: number }>({ barFormat: 'simulate |{bar}| {value}/{total}', stream: out });
    progress.start(60, { queue: 0 });
    progress.update(30, { queue: 5 });
    progress.stop();
    expect(out.text()).toBe('');
  });

  it('on a terminal draws the bar with its payload', () => {
    const out = stream(true);
    const progress = createProgress<{ failed: number }>({ barFormat: 'backfill [{bar}] {value}/{total} partitions | failed {failed}', plainLine: () => 'unused', stream: out });
    progress.start(7, { failed: 0 });
    progress.update(7, { failed: 2 });
    progress.stop();
    expect(out.text()).toContain('7/7 partitions | failed 2');
    expect(out.text()).not.toContain('unused');
  });
});
