// Preloaded by the bench into a child process (NODE_OPTIONS=--import=<this file>; NODE_OPTIONS does
// not allow --cpu-prof). On SIGUSR2:
// - with RS_BENCH_CPU_PROFILE_DIR, it starts V8's sampling profiler on the main thread (as --cpu-prof
//   does, minus start-up) and writes <dir>/<pid>.cpuprofile when the process exits (a graceful stop);
// - with RS_BENCH_MEMORY_FILE, it writes process.memoryUsage() and V8's heap spaces to that file.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

const profileDir = process.env.RS_BENCH_CPU_PROFILE_DIR;
const memoryFile = process.env.RS_BENCH_MEMORY_FILE;

if (isMainThread && profileDir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  let started = false;
  process.on('SIGUSR2', () => {
    if (!started) session.post('Profiler.start');
    started = true;
  });
  // A same-thread inspector session answers synchronously, so this runs to the end inside 'exit'.
  process.on('exit', () => {
    if (!started) return;
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(join(profileDir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}

if (isMainThread && memoryFile) {
  process.on('SIGUSR2', () => {
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, space.space_used_size]));
    writeFileSync(memoryFile, JSON.stringify({ ...process.memoryUsage(), spaces }));
  });
}
