/**
 * `npm run build`: the store's production form, one ESM bundle of store/src/bin.ts (our code and its
 * pure-JS dependencies) that plain node runs without the tsx loader: `node store/dist/store.mjs`.
 * Invariant: the output directory holds everything the bundle reads at run time except the
 * STORE_EXTERNALS, which node resolves from node_modules (the Docker image ships those beside it).
 *
 * Why: on a shop's edge box every MiB counts. tsx alone costs ~37 MiB of RSS and loading ~600 source
 * files through it another ~40; the bundle starts at ~85 MiB where `node --import tsx` needs ~130
 * (BENCHMARKS.md, memory). Development (`npm start`, tests) keeps running the TypeScript through tsx.
 */
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where `npm run build` writes the store bundle (git- and docker-ignored; the image builds its own). */
export const STORE_DIST_DIR = join(ROOT, 'store/dist');
export const STORE_BUNDLE_FILE = 'store.mjs';
/** The identity-pool provisioning one-shot (store/src/identity/provision-bin.ts), bundled beside the store. */
export const STORE_PROVISION_FILE = 'provision.mjs';

/**
 * Packages left to node_modules at run time, each because bundling would break it:
 * - @node-rs/crc32 loads a platform-specific native addon (`.node`) chosen at run time;
 * - grpc-health-check reads its health.proto from `${__dirname}/../../proto`, which a bundle moves.
 */
export const STORE_EXTERNALS = ['@node-rs/crc32', 'grpc-health-check'];

/**
 * V8 heap flags the store runs with in production (the Dockerfile's NODE_OPTIONS; README, operations).
 * Uncapped on a box with GiBs of RAM, V8 grows the old space by up to 4× its live size after each full
 * collection, so request garbage piles up to ~140 MiB of heap and the edge process passes 220 MiB with
 * a full buffer although ~30 MiB of it is live. With an old-space limit of at most 256 MiB (64-bit
 * node) V8 grows it by only 1.3×, so it collects instead of growing: RSS ~125 MiB (128 and 512 measured
 * the same). 256 is also the hard ceiling (past it the process dies of "heap out of memory"), so it is
 * the largest limit that keeps the small steps, leaving room for bursts (64 died with 32 clients
 * posting 500-sale batches at once). The 4 MiB semi-space keeps the young generation (3 × semi-space)
 * at 12 MiB instead of 48; 2 MiB saves a few MiB for more scavenges. The price is GC CPU: ≈ +5 µs per
 * sale at intake (≈ 16 vs 10 µs). Measured: BENCHMARKS.md, memory.
 */
export const STORE_NODE_OPTIONS = '--max-old-space-size=256 --max-semi-space-size=4';

/** Files beside the bundle that it opens by a path relative to its own URL. */
const RUNTIME_FILES = [
  // libs/src/proto/index.ts loads `new URL('./retail_sync.proto', import.meta.url)`: in the bundle, import.meta.url is store.mjs
  { from: join(ROOT, 'libs/src/proto/retail_sync.proto'), to: 'retail_sync.proto' },
];

/**
 * Bundled CommonJS dependencies call `require` for node's built-ins; an ESM file has none, so the
 * bundle defines one (esbuild's documented pattern for ESM output on node).
 */
const REQUIRE_BANNER = "import { createRequire as __rsCreateRequire } from 'node:module'; const require = __rsCreateRequire(import.meta.url);";

export interface StoreBundle {
  /** Absolute path of the bundle: run it with `node <bundle>`. */
  bundle: string;
  bytes: number;
}

/**
 * Bundles the store into `outDir` (default store/dist). The directory must sit inside this repository
 * (or link its node_modules) so that node finds the STORE_EXTERNALS from it.
 */
export async function buildStoreBundle(outDir = STORE_DIST_DIR): Promise<StoreBundle> {
  mkdirSync(outDir, { recursive: true });
  const bundle = join(outDir, STORE_BUNDLE_FILE);
  const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', external: STORE_EXTERNALS, banner: { js: REQUIRE_BANNER }, logLevel: 'warning' } as const;
  await build({
    ...common,
    entryPoints: [join(ROOT, 'store/src/bin.ts')],
    outfile: bundle,
    // a smaller source text is a smaller heap: V8 keeps every script's source; names stay for stack traces
    minify: true,
    keepNames: true,
    sourcemap: 'linked',
  });
  for (const file of RUNTIME_FILES) copyFileSync(file.from, join(outDir, file.to));
  // docker-compose's store-pool-init runs this from the same image, which has no tsx
  await build({ ...common, entryPoints: [join(ROOT, 'store/src/identity/provision-bin.ts')], outfile: join(outDir, STORE_PROVISION_FILE) });
  return { bundle, bytes: statSync(bundle).size };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { bundle, bytes } = await buildStoreBundle();
  process.stdout.write(`store bundle: ${bundle} (${(bytes / 2 ** 20).toFixed(1)} MiB); run it with NODE_OPTIONS="${STORE_NODE_OPTIONS}" node ${bundle}\n`);
}
