import { describe, expect, it } from 'vitest';
import type { BenchStage, StageResult } from './harness.ts';
import { renderReport } from './report.ts';

const stage = (name: string) => ({ name, title: `${name} stage` }) as unknown as BenchStage;
const result = (overrides: Partial<StageResult>): StageResult => ({ ours: { events_per_s: 10 }, ceiling: { events_per_s: 40 }, ratio: 0.25, target: '≥ 0.5', met: false, notes: [], profile: ['parse 40%'], ...overrides });

function render(results: Record<string, StageResult>): string {
  return renderReport({ command: 'npm run bench', startedAt: new Date('2026-11-24T00:00:00Z'), seconds: 61, quick: false, outcomes: Object.entries(results).map(([name, r]) => ({ stage: stage(name), result: r, seconds: 1 })) });
}

describe('BENCHMARKS.md', () => {
  it('says why a stage carries a profile: missed target, report-only stage, or a met target profiled anyway', () => {
    const report = render({
      intake: result({}),
      kafka: result({ target: null, met: null }),
      rollup: result({ ratio: 0.9, target: '≥ 0.8', met: true }),
    });
    const section = (name: string) => report.slice(report.indexOf(`## ${name}`)).split('\n## ')[0]!;
    expect(section('intake')).toContain('**Where the time (or memory) goes** (target missed):');
    expect(section('kafka')).toContain('**Where the time (or memory) goes** (report only):');
    expect(section('rollup')).toContain('**Where the time (or memory) goes** (profiled):');
    expect(report).toContain('| intake | 10.0 events_per_s | 40.0 events_per_s | 0.25 | ≥ 0.5 | **no** |');
    expect(report).toContain('| kafka | 10.0 events_per_s | 40.0 events_per_s | 0.25 | report | — |');
  });
});
