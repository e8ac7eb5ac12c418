import { describe, expect, it } from 'vitest';
import { drainPhases, formatDrainPhase } from './drain-rate.ts';
import { parseFinishedJobs } from './worker-pool.ts';

describe('worker drain rate', () => {
  it('rates each phase over its backlogged intervals only, per worker, skipping the interval a worker joined in', () => {
    const phases = drainPhases([
      { at: 0, finished: [0], waiting: 0 },
      { at: 2, finished: [100], waiting: 50 }, // began idle: not counted
      { at: 4, finished: [260], waiting: 120 },
      { at: 6, finished: [420], waiting: 200 },
      { at: 8, finished: [500, 0], waiting: 210 }, // the join: neither phase
      { at: 10, finished: [650, 130], waiting: 100 },
      { at: 12, finished: [800, 290], waiting: 0 },
      { at: 14, finished: [900, 390], waiting: 0 }, // caught up: not counted
    ]);
    expect(phases).toEqual([
      { workers: 1, from: 0, to: 6, jobs: 320, jobsPerWorker: [320], backlogSeconds: 4, jobsPerSecond: 80, waitingAtStart: 0, waitingAtEnd: 200, peakWaiting: 200 },
      { workers: 2, from: 8, to: 14, jobs: 590, jobsPerWorker: [300, 290], backlogSeconds: 4, jobsPerSecond: 147.5, waitingAtStart: 210, waitingAtEnd: 0, peakWaiting: 210 },
    ]);
    expect(formatDrainPhase(phases[1]!)).toBe('workers: 2 processes t=8-14s drained 148 jobs/s (75+73) over 4 s of backlog (queue waiting 210 -> 0, peak 210)');
  });

  it('says so when the workers kept up', () => {
    const [phase] = drainPhases([
      { at: 0, finished: [0], waiting: 0 },
      { at: 2, finished: [40], waiting: 0 },
    ]);
    expect(formatDrainPhase(phase!)).toBe('workers: 1 process t=0-2s no backlog (the workers kept up) (queue waiting 0 -> 0, peak 0)');
  });

  it('counts stored and dead-lettered jobs from a worker\'s /metrics, not failed attempts', () => {
    const text = [
      '# HELP retail_sync_worker_jobs_total Jobs this worker finished',
      '# TYPE retail_sync_worker_jobs_total counter',
      'retail_sync_worker_jobs_total{outcome="stored"} 1200',
      'retail_sync_worker_jobs_total{outcome="error"} 7',
      'retail_sync_worker_jobs_total{outcome="dead_lettered"} 3',
      'retail_sync_worker_job_duration_seconds_count{outcome="stored"} 1200',
    ].join('\n');
    expect(parseFinishedJobs(text)).toBe(1203);
    expect(parseFinishedJobs('')).toBe(0);
  });
});
