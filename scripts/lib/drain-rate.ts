/**
 * The worker drain rate per phase of a run (one phase per number of worker processes), from periodic
 * samples of the jobs the workers finished and the queue depth. Only intervals that began with jobs
 * waiting count: a worker that has caught up drains at the offered rate, not at its capacity, so an
 * idle interval would understate what the workers can do.
 */

export interface DrainSample {
  /** Seconds since the traffic began. */
  at: number;
  /** Jobs each worker process finished so far (stored or dead-lettered), in start order. */
  finished: readonly number[];
  /** Jobs waiting in the queue. */
  waiting: number;
}

export interface DrainPhase {
  workers: number;
  /** First and last sample of the phase, seconds since the traffic began. */
  from: number;
  to: number;
  /** Jobs finished over the phase's backlogged intervals, and their length. */
  jobs: number;
  /** The same jobs, per worker process. */
  jobsPerWorker: number[];
  backlogSeconds: number;
  /** jobs / backlogSeconds; 0 when the queue never had a backlog in this phase. */
  jobsPerSecond: number;
  waitingAtStart: number;
  waitingAtEnd: number;
  peakWaiting: number;
}

export function drainPhases(samples: readonly DrainSample[]): DrainPhase[] {
  const phases: DrainPhase[] = [];
  for (let i = 0; i < samples.length; i += 1) {
    const sample = samples[i]!;
    const workers = sample.finished.length;
    let phase = phases.at(-1);
    if (!phase || phase.workers !== workers) {
      phase = { workers, from: sample.at, to: sample.at, jobs: 0, jobsPerWorker: sample.finished.map(() => 0), backlogSeconds: 0, jobsPerSecond: 0, waitingAtStart: sample.waiting, waitingAtEnd: sample.waiting, peakWaiting: sample.waiting };
      phases.push(phase);
    }
    phase.to = sample.at;
    phase.waitingAtEnd = sample.waiting;
    phase.peakWaiting = Math.max(phase.peakWaiting, sample.waiting);
    const previous = samples[i - 1];
    // An interval across a change of workers belongs to neither phase.
    if (previous && previous.finished.length === workers && previous.waiting > 0) {
      sample.finished.forEach((finished, worker) => (phase.jobsPerWorker[worker]! += finished - previous.finished[worker]!));
      phase.jobs += sum(sample.finished) - sum(previous.finished);
      phase.backlogSeconds += sample.at - previous.at;
    }
  }
  for (const phase of phases) phase.jobsPerSecond = phase.backlogSeconds > 0 ? phase.jobs / phase.backlogSeconds : 0;
  return phases;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** `workers: 2 processes t=60-120s drained 812 jobs/s (500+312) over 58 s of backlog (queue waiting 100 -> 0, peak 12345)`. */
export function formatDrainPhase(phase: DrainPhase): string {
  const processes = `${phase.workers} process${phase.workers === 1 ? '' : 'es'}`;
  const perWorker = phase.workers > 1 ? ` (${phase.jobsPerWorker.map((jobs) => (jobs / phase.backlogSeconds).toFixed(0)).join('+')})` : '';
  const rate = phase.backlogSeconds > 0 ? `drained ${phase.jobsPerSecond.toFixed(0)} jobs/s${perWorker} over ${phase.backlogSeconds.toFixed(0)} s of backlog` : 'no backlog (the workers kept up)';
  return `workers: ${processes} t=${phase.from.toFixed(0)}-${phase.to.toFixed(0)}s ${rate} (queue waiting ${phase.waitingAtStart} -> ${phase.waitingAtEnd}, peak ${phase.peakWaiting})`;
}
