/**
 * CPU profiles for stages that miss their target: in this process through the inspector (the same
 * V8 sampler `node --cpu-prof` uses), or in a child process through process-probe.mjs, which writes
 * its .cpuprofile when it exits. Summaries rank self time by function and by package/file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../lib/stack.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Profiles this process while `work` runs. */
export async function profileInProcess(work: () => Promise<void>): Promise<CpuProfile> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    let failure: unknown;
    await work().catch((error: unknown) => (failure = error ?? new Error('profiled work failed')));
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
    if (failure !== undefined) throw failure;
    return profile;
  } finally {
    session.disconnect();
  }
}

/** Environment that makes a child node process write its main thread's profile into `dir` on exit. */
export function cpuProfileEnv(dir: string): Record<string, string> {
  return { ...probeEnv(), RS_BENCH_CPU_PROFILE_DIR: dir };
}

/** NODE_OPTIONS that preload process-probe.mjs into a child node process. */
export function probeEnv(): Record<string, string> {
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${join(REPO_ROOT, 'scripts/bench/process-probe.mjs')}`.trim() };
}

/** Starts the profiler of a child started with cpuProfileEnv (what ran before is left out). */
export async function startChildProfile(pid: number): Promise<void> {
  process.kill(pid, 'SIGUSR2');
  await new Promise((resolve) => setTimeout(resolve, 50));
}

/** The biggest .cpuprofile a child left in `dir`. */
export function readChildProfile(dir: string): CpuProfile {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(dir, name))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}: the profiled process did not exit cleanly`);
  return JSON.parse(readFileSync(files[0]!, 'utf8')) as CpuProfile;
}

const PSEUDO = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Where a function lives: an npm package, a repo file, or node's internals. */
function placeOf(url: string): string {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = path.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  return path.startsWith(REPO_ROOT) ? relative(REPO_ROOT, path) : path;
}

/**
 * Lines for the report: the busy share of the profile, then the top self-time functions and the
 * top packages/files, each as a share of busy (non-idle) time.
 */
export function summarizeProfile(profile: CpuProfile, top = 8): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, index) => selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, deltas[index] ?? 0)));

  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let idle = 0;
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    // The inspector's own message dispatch (starting and stopping the profiler), not the work profiled.
    if (frame.functionName === 'dispatch' && frame.url === '') continue;
    total += us;
    if (frame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const place = PSEUDO.has(frame.functionName) ? frame.functionName : placeOf(frame.url);
    const name = PSEUDO.has(frame.functionName) ? frame.functionName : `${frame.functionName || '(anonymous)'} (${place}:${frame.lineNumber + 1})`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
  }
  const busy = total - idle;
  const share = (us: number) => `${((100 * us) / Math.max(1, busy)).toFixed(1)}%`;
  const ranked = (map: Map<string, number>) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `profile: ${(total / 1e6).toFixed(1)} s sampled, ${((100 * busy) / Math.max(1, total)).toFixed(0)}% busy on the main thread`,
    `top self time by package/file: ${ranked(byPlace).map(([place, us]) => `${place} ${share(us)}`).join(', ')}`,
    `top self time by function: ${ranked(byFunction).map(([name, us]) => `${name} ${share(us)}`).join('; ')}`,
  ];
}
