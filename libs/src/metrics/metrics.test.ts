import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log/index.ts';
import { counterFrom, createMetricsRegistry, gaugeFrom, METRICS, metricsTable, setState } from './index.ts';

describe('metrics catalogue', () => {
  const specs = Object.values(METRICS);

  it('names every metric once, under retail_sync_, with Prometheus suffix conventions', () => {
    expect(new Set(specs.map((spec) => spec.name)).size).toBe(specs.length);
    for (const spec of specs) {
      expect(spec.name).toMatch(/^retail_sync_[a-z_]+$/);
      if (spec.type === 'counter') expect(spec.name).toMatch(/_total$/);
      if (spec.type === 'histogram') expect(spec.name).toMatch(/_seconds$/);
      if (spec.type !== 'counter') expect(spec.name).not.toMatch(/_total$/);
    }
  });

  it('documents every metric in the README table with its labels', () => {
    const table = metricsTable();
    for (const spec of specs) expect(table).toContain(`| \`${spec.name}\` | ${spec.type} | ${spec.labels.length === 0 ? '—' : spec.labels.map((l) => `\`${l}\``).join(', ')} |`);
  });
});

describe('metric helpers', () => {
  it('hands two components the same counter of a registry', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    counterFrom(registry, METRICS.deadLettersWritten).inc({ stage: 'ingest', reason_code: 'RS_ERR_INVALID_EVENT' });
    counterFrom(registry, METRICS.deadLettersWritten).inc({ stage: 'worker', reason_code: 'RS_ERR_UNKNOWN_PRODUCT' });
    const text = await registry.metrics();
    expect(text).toContain('retail_sync_dead_letters_written_total{stage="ingest",reason_code="RS_ERR_INVALID_EVENT"} 1');
    expect(text).toContain('retail_sync_dead_letters_written_total{stage="worker",reason_code="RS_ERR_UNKNOWN_PRODUCT"} 1');
  });

  it('keeps a scrape-time gauge at its last value and logs a warning when its source fails', async () => {
    const lines: string[] = [];
    const logger = createLogger({ service: 'test', destination: new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }) });
    const registry = createMetricsRegistry({ processMetrics: false });
    let depth: number | Error = 7;
    gaugeFrom(registry, METRICS.queueJobs, (gauge) => {
      if (depth instanceof Error) throw depth;
      gauge.set({ state: 'waiting' }, depth);
    }, logger);
    expect(await registry.metrics()).toContain('retail_sync_queue_jobs{state="waiting"} 7');
    depth = new Error('queue file locked');
    expect(await registry.metrics()).toContain('retail_sync_queue_jobs{state="waiting"} 7');
    expect(lines.map((line) => JSON.parse(line) as { level: number; metric: string })).toContainEqual(expect.objectContaining({ level: 40, metric: 'retail_sync_queue_jobs' }));
  });

  it('sets a one-hot state gauge, including a state it did not know', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const logger = createLogger({ service: 'test', level: 'silent' });
    let state = 'shipping';
    gaugeFrom(registry, METRICS.storeShipperState, (gauge) => setState(gauge, { store_id: 'nyc-001' }, ['idle', 'shipping'], state), logger);
    expect(await registry.metrics()).toMatch(/state="idle"\} 0\n.*state="shipping"\} 1/);
    state = 'halted';
    const text = await registry.metrics();
    expect(text).toContain('retail_sync_store_shipper_state{store_id="nyc-001",state="halted"} 1');
    expect(text).toContain('retail_sync_store_shipper_state{store_id="nyc-001",state="shipping"} 0');
  });
});
