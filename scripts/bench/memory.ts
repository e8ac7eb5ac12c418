/**
 * Memory: (1) a store process whose shipper points at a dead endpoint takes N sales through intake,
 * so all N stay buffered, and its RSS is read from /proc/<pid>/status (VmRSS, VmHWM); (2) central
 * (ingest + worker) under paced load from one store, its RSS sampled every 250 ms.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../lib/stack.ts';
import { sleep, type BenchContext, type BenchStage } from './harness.ts';
import { catalogStore, postLoad, saleMaker } from './pos-load.ts';
import { deadEndpoint, memoryOf, sampleMemory, startStore } from './processes.ts';
import { driveStores, pipelineRate, startPipeline } from './end-to-end.ts';
import { probeEnv } from './profile.ts';
import { storeStatus } from './store-fixture.ts';

const STORE_LIMIT_MIB = 150;
/** The variant run with V8's old space capped (--max-old-space-size), to show what the cap alone does. */
const CAPPED_OLD_SPACE_MIB = 96;

export const memoryStage: BenchStage = {
  name: 'memory',
  needs: ['redis', 'clickhouse', 'kafka', 'cassandra'],
  title: `memory: store edge RSS with N sales buffered (target ≤ ${STORE_LIMIT_MIB} MiB); central RSS under load`,
  async run(scale, context) {
    const buffered = scale.pick(1_000_000, 20_000);
    context.log(`memory: posting ${buffered.toLocaleString('en-US')} sales to a store that cannot ship`);
    const storeFigures = await bufferedStoreMemory(context, buffered, 'memory-store', {});
    context.log(`memory: again with the store's old space capped at ${CAPPED_OLD_SPACE_MIB} MiB`);
    const capped = await bufferedStoreMemory(context, buffered, 'memory-store-capped', { NODE_OPTIONS: `--max-old-space-size=${CAPPED_OLD_SPACE_MIB}` });
    const floors = {
      node_alone_rss_mib: await floorRss([]),
      node_with_tsx_rss_mib: await floorRss(['--import', 'tsx']),
      store_code_loaded_rss_mib: await floorRss(['--import', 'tsx'], "await import('@retail-sync/store');"),
    };

    const durationMs = scale.pick(20_000, 4_000);
    const rate = pipelineRate(scale, context);
    const pipeline = await startPipeline(context, 'memory', 1, false);
    let centralFigures;
    try {
      const idle = memoryOf(pipeline.central.pid).rssMiB;
      const sampler = sampleMemory(pipeline.central.pid);
      const load = await driveStores(pipeline, rate, durationMs);
      const sampled = sampler.stop();
      centralFigures = { central_rss_max_mib: sampled.maxMiB, central_rss_end_mib: sampled.lastMiB, central_idle_rss_mib: idle, central_load_events_per_s: (load.accepted * 1000) / durationMs };
    } finally {
      await pipeline.close();
    }

    const met = storeFigures.store_rss_mib <= STORE_LIMIT_MIB;
    return {
      ours: { ...storeFigures, [`store_rss_mib_old_space_${CAPPED_OLD_SPACE_MIB}`]: capped.store_rss_mib, ...floors, ...centralFigures },
      ceiling: null,
      ratio: null,
      target: `store ≤ ${STORE_LIMIT_MIB} MiB`,
      met,
      notes: [
        `Store: ${buffered.toLocaleString('en-US')} sales posted in batches of 500 by 4 clients to one store (RS_BUFFER_MAX_BYTES default), none shipped; RSS read 1 s after the last 202. store_idle_rss_mib is the same process before the load; the JS heap and external figures are its process.memoryUsage() at the same moment.`,
        `store_rss_mib_old_space_${CAPPED_OLD_SPACE_MIB}: the same store and load with NODE_OPTIONS=--max-old-space-size=${CAPPED_OLD_SPACE_MIB}.`,
        'Floors, each a node process that only idles: node alone, node with the tsx loader (how every service runs today: `node --import tsx`), and that plus the store package imported (every module transpiled and loaded, nothing started).',
        `Central: one process with roles ingest + worker (+ admin) on the production adapters, one store shipping to it over gRPC, POS load paced at ${rate} sales/s for ${durationMs / 1000} s; RSS sampled every 250 ms.`,
      ],
      ...(met
        ? {}
        : {
            profile: [
              `Of the store's ${storeFigures.store_rss_mib.toFixed(0)} MiB with ${buffered.toLocaleString('en-US')} sales buffered (the ${storeFigures.buffered_mib.toFixed(0)} MiB of sales themselves are on disk): ${floors.node_with_tsx_rss_mib.toFixed(0)} MiB is node with the tsx loader before any of our code (node alone: ${floors.node_alone_rss_mib.toFixed(0)} MiB), ${(floors.store_code_loaded_rss_mib - floors.node_with_tsx_rss_mib).toFixed(0)} MiB the store's code and dependencies transpiled and loaded, ` +
                `and V8's heap holds ${storeFigures.store_js_heap_committed_mib.toFixed(0)} MiB committed, ${storeFigures.store_js_heap_used_mib.toFixed(0)} MiB of it in use when read (live objects and garbage not yet collected; external ${storeFigures.store_external_mib.toFixed(0)} MiB): the heap grows with the request traffic and V8 keeps it, since nothing caps it. What the store keeps per buffered sale is small (the receipt index is capped at 100,000 keys, ≈27 MB).`,
              `What closes it: cap the old space for the edge box so V8 collects instead of growing (measured here: with --max-old-space-size=${CAPPED_OLD_SPACE_MIB} the same run ends at ${capped.store_rss_mib.toFixed(0)} MiB), and run the store as compiled JavaScript on plain node, which removes the tsx loader and the transpile caches from the ${floors.store_code_loaded_rss_mib.toFixed(0)} MiB floor (node alone is ${floors.node_alone_rss_mib.toFixed(0)} MiB).`,
            ],
          }),
    };
  },
};

/** RSS of an idle node process started with `args` that evaluates `code` first (read after it settles). */
async function floorRss(args: string[], code = ''): Promise<number> {
  const child = spawn(process.execPath, [...args, '--input-type=module', '-e', `${code} setTimeout(() => {}, 60_000);`], { cwd: REPO_ROOT, stdio: 'ignore' });
  try {
    await sleep(3_000);
    return memoryOf(child.pid!).rssMiB;
  } finally {
    child.kill('SIGKILL');
  }
}

/** RSS and heap of a store process (shipper pointed at a dead endpoint) after `buffered` sales went through its intake. */
async function bufferedStoreMemory(context: BenchContext, buffered: number, name: string, env: Record<string, string>) {
  const store = catalogStore(0);
  const dataDir = join(context.workDir, name);
  const memoryFile = join(context.workDir, `${name}.json`);
  const probe = probeEnv();
  const edge = await startStore({
    storeId: store.store_id,
    dataDir,
    endpoints: await deadEndpoint(),
    logFile: join(dataDir, 'store.log'),
    env: { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} ${probe.NODE_OPTIONS}`.trim(), RS_BENCH_MEMORY_FILE: memoryFile },
  });
  try {
    const idle = memoryOf(edge.pid);
    const load = await postLoad({ url: edge.url, batch: 500, concurrency: 4, sale: saleMaker(store), totalSales: buffered });
    const status = await storeStatus(edge.url);
    if (status.buffered_records !== buffered) throw new Error(`${status.buffered_records} of ${buffered} sales buffered (${load.failedRequests} requests failed)`);
    await sleep(1_000);
    const full = memoryOf(edge.pid);
    process.kill(edge.pid, 'SIGUSR2');
    await sleep(300);
    const usage = JSON.parse(readFileSync(memoryFile, 'utf8')) as { heapTotal: number; heapUsed: number; external: number };
    return {
      store_rss_mib: full.rssMiB,
      store_peak_rss_mib: full.peakMiB,
      store_idle_rss_mib: idle.rssMiB,
      store_js_heap_committed_mib: usage.heapTotal / 2 ** 20,
      store_js_heap_used_mib: usage.heapUsed / 2 ** 20,
      store_external_mib: usage.external / 2 ** 20,
      buffered_mib: status.buffered_bytes / 2 ** 20,
    };
  } finally {
    await edge.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
