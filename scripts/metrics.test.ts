/**
 * After a short demo run, every metric in libs' catalogue is served by its service — central's admin
 * API, a store's intake port, the DAG runner — with exactly its documented label names and at least one
 * sample, so a dashboard or alert built on the README table finds what it names.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRICS, type MetricService, type MetricSpec } from '@retail-sync/libs/metrics';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from './lib/demo-run.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'rs-metrics-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Sample {
  name: string;
  labels: Record<string, string>;
}

/** The samples of a Prometheus text exposition (enough of the format for our own output). */
function samplesOf(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? \S+/.exec(line);
    if (!sample || line.startsWith('#')) continue;
    const labels = Object.fromEntries([...(sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    samples.push({ name: sample[1]!, labels });
  }
  return { types, samples };
}

function expectServed(text: string, service: MetricService): void {
  const { types, samples } = samplesOf(text);
  const specs = Object.values(METRICS).filter((metric) => metric.service === service) as MetricSpec[];
  expect(specs.length).toBeGreaterThan(0);
  for (const spec of specs) {
    expect(types.get(spec.name), `${spec.name} is exported as a ${spec.type}`).toBe(spec.type);
    const sampleName = spec.type === 'histogram' ? `${spec.name}_bucket` : spec.name;
    const own = samples.filter((sample) => sample.name === sampleName);
    expect(own.length, `${spec.name} has samples`).toBeGreaterThan(0);
    for (const sample of own) {
      const labelNames = Object.keys(sample.labels).filter((label) => label !== 'le').sort();
      expect(labelNames, `${spec.name} label names`).toEqual([...spec.labels].sort());
    }
  }
}

describe('metrics after a demo run', () => {
  it('serves every catalogued metric with its label names on central, a store and the DAG runner', async () => {
    const scraped: Partial<Record<MetricService, string>> = {};
    const scrape = async (url: string) => {
      const response = await fetch(`${url}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      return response.text();
    };
    const result = await runDemo({
      stores: 2, events: 300, badRate: 0.1, retryRate: 0.1, seed: 7, profile: 'embedded', transport: 'grpc', dataDir, print: () => undefined,
      beforeStop: async ({ node, stores }) => {
        scraped.central = await scrape(node.central.adminUrl!);
        scraped.store = await scrape(stores[0]!.url);
        scraped.dags = await scrape(node.dags.url);
      },
    });
    expect(result.ok, result.reconcileLine).toBe(true);
    expectServed(scraped.central!, 'central');
    expectServed(scraped.store!, 'store');
    expectServed(scraped.dags!, 'dags');
    // the simulator's unknown SKUs were dead-lettered by the worker, and counted as such
    expect(scraped.central).toMatch(/^retail_sync_worker_jobs_total\{outcome="dead_lettered"\} [1-9]/m);
    expect(scraped.central).toMatch(/^retail_sync_dead_letters_written_total\{stage="worker",reason_code="RS_ERR_UNKNOWN_PRODUCT"\} [1-9]/m);
    expect(scraped.store).toMatch(/^retail_sync_store_shipper_lag_events\{store_id="[\w-]+"\} 0$/m);
    expect(scraped.dags).toMatch(/^retail_sync_dag_partition_runs_total\{job="sales_rollups",status="succeeded"\} [1-9]/m);
  }, 180_000);
});
