/**
 * Memory: (1) a store process whose shipper points at a dead endpoint takes N sales through intake,
 * so all N stay buffered, and its RSS is read from /proc/<pid>/status (VmRSS, VmHWM). The target is
 * the production form (the bundle of scripts/build.ts on plain node with STORE_NODE_OPTIONS); the same
 * load is run on the bundle without the heap flags and on `node --import tsx` (how `npm start` runs it)
 * to show what each step buys. (2) central (ingest + worker) under paced load from one store, its RSS
 * sampled every 250 ms.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildStoreBundle, STORE_NODE_OPTIONS } from '../build.ts';
import { REPO_ROOT } from '../lib/stack.ts';
import { sleep, type BenchContext, type BenchStage } from './harness.ts';
import { catalogStore, postLoad, saleMaker } from './pos-load.ts';
import { cpuSecondsOf, deadEndpoint, memoryOf, sampleMemory, startBundledStore, startStore } from './processes.ts';
import { driveStores, pipelineRate, startPipeline } from './end-to-end.ts';
import { probeEnv } from './profile.ts';
import { storeStatus } from './store-fixture.ts';

const STORE_LIMIT_MIB = 150;

/** How the store process is started: the production bundle with or without the heap flags, or TypeScript through tsx. */
type StoreForm = { kind: 'bundle'; bundle: string; nodeOptions: string } | { kind: 'tsx' };

export const memoryStage: BenchStage = {
  name: 'memory',
  needs: ['redis', 'clickhouse', 'kafka', 'cassandra'],
  title: `memory: store edge RSS with N sales buffered (target ≤ ${STORE_LIMIT_MIB} MiB, production bundle); central RSS under load`,
  async run(scale, context) {
    const buffered = scale.pick(1_000_000, 20_000);
    const { bundle, bytes } = await buildStoreBundle();
    context.log(`memory: built ${bundle} (${(bytes / 2 ** 20).toFixed(1)} MiB); posting ${buffered.toLocaleString('en-US')} sales to a store that cannot ship`);
    const production = await bufferedStoreMemory(context, buffered, 'memory-store', { kind: 'bundle', bundle, nodeOptions: STORE_NODE_OPTIONS });
    context.log('memory: again on the bundle without the heap flags');
    const uncapped = await bufferedStoreMemory(context, buffered, 'memory-store-uncapped', { kind: 'bundle', bundle, nodeOptions: '' });
    context.log('memory: again on node --import tsx (as npm start runs it)');
    const tsx = await bufferedStoreMemory(context, buffered, 'memory-store-tsx', { kind: 'tsx' });
    const floors = {
      node_alone_rss_mib: await floorRss([]),
      node_with_tsx_rss_mib: await floorRss(['--import', 'tsx']),
      store_code_loaded_tsx_rss_mib: await floorRss(['--import', 'tsx'], "await import('@retail-sync/store');"),
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

    const met = production.store_rss_mib <= STORE_LIMIT_MIB;
    return {
      ours: {
        ...production,
        store_rss_mib_bundle_uncapped: uncapped.store_rss_mib,
        store_intake_sales_per_s_bundle_uncapped: uncapped.store_intake_sales_per_s,
        store_cpu_us_per_sale_bundle_uncapped: uncapped.store_cpu_us_per_sale,
        store_rss_mib_tsx: tsx.store_rss_mib,
        store_idle_rss_mib_tsx: tsx.store_idle_rss_mib,
        store_intake_sales_per_s_tsx: tsx.store_intake_sales_per_s,
        ...floors,
        ...centralFigures,
      },
      ceiling: null,
      ratio: null,
      target: `store ≤ ${STORE_LIMIT_MIB} MiB`,
      met,
      notes: [
        `Store: ${buffered.toLocaleString('en-US')} sales posted in batches of 500 by 4 clients to one store (RS_BUFFER_MAX_BYTES default), none shipped; RSS read 1 s after the last 202. The store runs in its production form: the esbuild bundle of \`npm run build\` (${(bytes / 2 ** 20).toFixed(1)} MiB) on plain node with NODE_OPTIONS="${STORE_NODE_OPTIONS}". store_idle_rss_mib is the same process before the load; the JS heap and external figures are its process.memoryUsage() at the same moment; store_cpu_us_per_sale is its CPU (all threads) per accepted sale, store_intake_sales_per_s the load's rate (the load generator shares the machine).`,
        '_bundle_uncapped: the same bundle and load without the heap flags; _tsx: `node --import tsx store/src/bin.ts` (how `npm start` runs stores), without the heap flags.',
        'Floors, each a node process that only idles: node alone, node with the tsx loader, and that plus the store package imported (every module transpiled and loaded, nothing started).',
        `Central: one process with roles ingest + worker (+ admin) on the production adapters, one store shipping to it over gRPC, POS load paced at ${rate} sales/s for ${durationMs / 1000} s; RSS sampled every 250 ms.`,
      ],
      ...(met
        ? {}
        : {
            profile: [
              `Of the production store's ${production.store_rss_mib.toFixed(0)} MiB with ${buffered.toLocaleString('en-US')} sales buffered (the ${production.buffered_mib.toFixed(0)} MiB of sales themselves are on disk): ${production.store_idle_rss_mib.toFixed(0)} MiB is the bundle started and idle (node alone: ${floors.node_alone_rss_mib.toFixed(0)} MiB), ` +
                `and V8's heap holds ${production.store_js_heap_committed_mib.toFixed(0)} MiB committed, ${production.store_js_heap_used_mib.toFixed(0)} MiB of it in use when read (external ${production.store_external_mib.toFixed(0)} MiB) under NODE_OPTIONS="${STORE_NODE_OPTIONS}".`,
              `Without the heap flags the same bundle ends at ${uncapped.store_rss_mib.toFixed(0)} MiB, and through tsx at ${tsx.store_rss_mib.toFixed(0)} MiB. What is left: the live heap (the receipt index, store/src/intake/receipt-index.ts, is most of it) and the idle floor of the bundle's dependencies.`,
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

/** RSS, heap and intake cost of a store process (shipper pointed at a dead endpoint) after `buffered` sales went through its intake. */
async function bufferedStoreMemory(context: BenchContext, buffered: number, name: string, form: StoreForm) {
  const store = catalogStore(0);
  const dataDir = join(context.workDir, name);
  const memoryFile = join(context.workDir, `${name}.json`);
  const probe = probeEnv();
  const nodeOptions = form.kind === 'bundle' ? form.nodeOptions : '';
  const options = {
    storeId: store.store_id,
    dataDir,
    endpoints: await deadEndpoint(),
    logFile: join(dataDir, 'store.log'),
    env: { NODE_OPTIONS: `${nodeOptions} ${probe.NODE_OPTIONS}`.trim(), RS_BENCH_MEMORY_FILE: memoryFile },
  };
  const edge = form.kind === 'bundle' ? await startBundledStore({ ...options, bundle: form.bundle }) : await startStore(options);
  try {
    const idle = memoryOf(edge.pid);
    const cpuBefore = cpuSecondsOf(edge.pid);
    const load = await postLoad({ url: edge.url, batch: 500, concurrency: 4, sale: saleMaker(store), totalSales: buffered });
    const cpuSeconds = cpuSecondsOf(edge.pid) - cpuBefore;
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
      store_intake_sales_per_s: (load.accepted * 1000) / load.elapsedMs,
      store_cpu_us_per_sale: (cpuSeconds * 1e6) / load.accepted,
    };
  } finally {
    await edge.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
