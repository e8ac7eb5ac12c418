/**
 * The bench harness cannot rot: `npm run bench -- --quick` runs every stage against the real servers
 * and must report numeric figures for each, with a ratio wherever there is a ceiling. No timing is
 * asserted: the figures of a shared 2-core machine are the report's business, not the test's.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { StageResult } from './bench/harness.ts';
import { STAGES } from './bench/stages.ts';
import { REPO_ROOT } from './lib/stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'rs-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface BenchJson {
  quick: boolean;
  stages: Array<{ name: string; result?: StageResult; error?: string }>;
}

describe('npm run bench -- --quick', () => {
  it('reports every stage with numeric figures of ours and its ceiling, and their ratio', async () => {
    const out = join(dir, 'BENCHMARKS.md');
    const json = join(dir, 'bench.json');
    const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--quick', '--out', out, '--json', json], { cwd: REPO_ROOT, maxBuffer: 64 * 2 ** 20 }).catch(
      (error: { stderr?: string; code?: number }) => ({ stderr: error.stderr ?? '', exitCode: error.code }),
    );
    const report = JSON.parse(readFileSync(json, 'utf8')) as BenchJson;
    const failures = report.stages.filter((stage) => stage.error !== undefined).map((stage) => `${stage.name}: ${stage.error}`);
    expect(failures, 'stages that could not run').toEqual([]);
    expect('exitCode' in run ? run.exitCode : 0).toBe(0);

    expect(report.quick).toBe(true);
    expect(report.stages.map((stage) => stage.name)).toEqual(STAGES.map((stage) => stage.name));
    for (const { name, result } of report.stages) {
      expect(Object.keys(result!.ours).length, `${name}: figures`).toBeGreaterThan(0);
      for (const [figure, value] of Object.entries(result!.ours)) expect(Number.isFinite(value), `${name}.ours.${figure} = ${value}`).toBe(true);
      if (result!.ceiling !== null) {
        for (const [figure, value] of Object.entries(result!.ceiling)) expect(Number.isFinite(value), `${name}.ceiling.${figure} = ${value}`).toBe(true);
      }
      if (result!.ceiling !== null || result!.ratio !== null) expect(Number.isFinite(result!.ratio), `${name}: ratio`).toBe(true);
      if (result!.met === false) expect(result!.profile?.length, `${name}: a missed target says where the time goes`).toBeGreaterThan(0);
    }

    const markdown = readFileSync(out, 'utf8');
    expect(markdown).toContain('- Command: `npm run bench -- --quick');
    expect(markdown).toMatch(/- Machine: \d+ cores \(nproc\), [\d.]+ GiB memory, .+, Node v\d+/);
    for (const stage of STAGES) expect(markdown).toContain(`## ${stage.name}\n`);
    // A hang guard only: 83 s on a quiet machine, 196 s on a busy one (every stage, its ceiling and the profiles).
  }, 600_000);
});
