/**
 * The chaos run, separate from its CLI so tests can drive it. A POS load runs against the stores while
 * a fault is injected K times at random moments: `store` SIGKILLs a store process and starts it again
 * on the same buffer; `kafka` SIGKILLs the Kafka broker (scripts/services kill) and starts it again
 * (stores ship over Kafka then). Then the pipeline drains and the run is judged by event_id:
 *   accepted    distinct sales a POS got a 202 for (accepted, or duplicate of a copy whose 202 was lost)
 *   stored      distinct event_ids central's order store holds for the stores' seq range
 *   missing     accepted event_ids central holds in neither the order store nor the dead-letter store
 *               (at least the seqs of the stores' logs that dags' reconcile finds in neither)
 *   duplicated  event_ids stored twice or both stored and dead-lettered, plus reconcile's seqs held by
 *               two event_ids and receipts stored under two event_ids
 * The POS retries unconfirmed requests until answered, so the accepted set is exact across crashes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { runSimulator, type AcceptedSale } from '@retail-sync/store';
import { productionIsolation, type ProductionIsolation } from './production-isolation.ts';
import { fileLogger, readSeedCatalog, REPO_ROOT, spawnStore, startCentralNode, storeStatus, waitForDrain, type CatalogStore, type CentralNode, type StoreProcess } from './stack.ts';

export type ChaosTarget = 'store' | 'kafka';

export interface ChaosOptions {
  target: ChaosTarget;
  kills: number;
  profile: 'embedded' | 'production';
  /** Stores under load (each its own process). */
  stores: number;
  /** POS sales per second per store. */
  ratePerSecond: number;
  /** Share of sales made malformed (rejected at intake) or with an unknown SKU (dead-lettered). */
  badRate: number;
  seed: number;
  dataDir: string;
  print: (line: string) => void;
  /** Wait after a (re)start before the next kill, ms, drawn uniformly. Default: store [150, 900], kafka [1500, 4000]. */
  killGapMs?: [number, number];
  /** Longest wait for the pipeline to drain after the last kill. @default 300000 */
  drainTimeoutMs?: number;
}

export interface ChaosResult {
  accepted: number;
  stored: number;
  missing: number;
  duplicated: number;
  drained: boolean;
  /** `chaos: target=… kills=K accepted=A stored=S missing=M duplicated=D` */
  line: string;
  ok: boolean;
}

/**
 * Central consumes the topic too. After a broker restart the group coordinator waits for the consumer's
 * old member until its session times out before the rebalance completes (measured: the 30 s default
 * left the topic unconsumed for ~30 s per kill), so the run uses the broker's minimum (6 s).
 */
const KAFKA_CENTRAL_ENV = { RS_CENTRAL_ROLES: 'ingest,kafka,worker,admin', RS_KAFKA_SESSION_TIMEOUT_MS: '6000', RS_KAFKA_HEARTBEAT_INTERVAL_MS: '1000' };

/** Thrown when the run cannot start (servers down); the CLI exits 3 with its message. */
export class ChaosPreconditionError extends Error {}

const POS_TERMINALS = 3;
const ROUND_EVENTS = 50;
/** Requests a POS re-sends before giving up: effectively never while a store restarts (≈2 s per try at most). */
const POS_MAX_ATTEMPTS = 10_000;

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const catalog = readSeedCatalog();
  if (options.stores > catalog.stores.length) throw new Error(`--stores ${options.stores}: the seed catalog has ${catalog.stores.length} stores`);
  const kafka = options.target === 'kafka';
  if (kafka || options.profile === 'production') requireServers(kafka && options.profile === 'embedded' ? ['kafka'] : ['redis', 'kafka', 'cassandra', 'clickhouse']);
  mkdirSync(options.dataDir, { recursive: true });
  const random = seededRandom(options.seed);

  const isolation = options.profile === 'production' ? productionIsolation() : kafka ? kafkaTopicIsolation() : undefined;
  const logger = fileLogger(join(options.dataDir, 'logs', 'central.log'));
  const node: CentralNode = await startCentralNode({
    dataDir: options.dataDir,
    dagTickCron: '0 0 1 1 *',
    logger,
    // the run's stores present derived dev keys; central accepts them on the production profile only when told to
    env: { RS_PROFILE: options.profile, RS_DEV_DERIVED_KEYS: 'true', ...isolation?.env, ...(kafka ? KAFKA_CENTRAL_ENV : {}) },
  });
  const chosen = catalog.stores.slice(0, options.stores);
  const stores: StoreProcess[] = [];
  const storeEnv = kafka
    ? // a broker outage must not push the shippers' backoff to its 30 s default cap: the drain would wait it out
      { RS_TRANSPORT: 'kafka', RS_KAFKA_TOPIC: isolation!.env.RS_KAFKA_TOPIC!, RS_SHIP_BACKOFF_MAX_MS: '2000' }
    : {};
  const startStoreProcess = async (store: CatalogStore, port?: number) =>
    spawnStore({
      storeId: store.store_id,
      port,
      dataDir: options.dataDir,
      grpcEndpoints: node.grpcEndpoint,
      logFile: join(options.dataDir, 'logs', `store-${store.store_id}.log`),
      env: storeEnv,
    });
  const started = Date.now();
  try {
    for (const store of chosen) stores.push(await startStoreProcess(store));
    options.print(`chaos: target=${options.target} profile=${options.profile} stores=${stores.length} kills=${options.kills}; central gRPC ${node.grpcEndpoint}${kafka ? `, Kafka topic ${isolation!.env.RS_KAFKA_TOPIC}` : ''}`);

    const load = startLoad(chosen, stores, options);
    try {
      const [gapMin, gapMax] = options.killGapMs ?? (kafka ? [1_500, 4_000] : [150, 900]);
      for (let kill = 1; kill <= options.kills; kill++) {
        await sleep(gapMin + random() * (gapMax - gapMin));
        if (kafka) {
          await restartKafka();
        } else {
          const i = Math.floor(random() * stores.length);
          const victim = stores[i]!;
          await victim.stop('SIGKILL');
          stores[i] = await startStoreProcess(chosen[i]!, victim.port);
        }
        if (kafka || kill % 10 === 0 || kill === options.kills) options.print(`chaos: kill ${kill}/${options.kills} done after ${((Date.now() - started) / 1000).toFixed(1)} s; ${load.confirmed()} sales confirmed so far`);
      }
    } finally {
      await load.stop();
    }
    const acceptedByStore = load.accepted();

    const drained = await waitForDrain(stores, node.central, options.drainTimeoutMs ?? 300_000);
    options.print(drained ? 'chaos: drained: every store log acked, every seq stored or dead-lettered, queue empty' : 'chaos: the pipeline did not drain in time; judging what arrived');
    const counts = await judge(node, stores, acceptedByStore);
    const line = `chaos: target=${options.target} kills=${options.kills} accepted=${counts.accepted} stored=${counts.stored} missing=${counts.missing} duplicated=${counts.duplicated}`;
    return { ...counts, drained, line, ok: counts.missing === 0 && counts.duplicated === 0 };
  } finally {
    await Promise.all(stores.map((store) => store.stop('SIGTERM')));
    await node.close();
    await isolation?.drop().catch((error: unknown) => options.print(`chaos: could not drop ${isolation.name}: ${String(error)}`));
  }
}

interface Load {
  /** Sales confirmed so far (all stores). */
  confirmed(): number;
  /** Lets every POS lane finish its round (each request answered), then returns. */
  stop(): Promise<void>;
  accepted(): Map<string, AcceptedSale[]>;
}

/** Two POS lanes per store, each sending rounds of sales at half the store's rate until stopped. */
function startLoad(chosen: CatalogStore[], stores: StoreProcess[], options: ChaosOptions): Load {
  const catalog = readSeedCatalog();
  const accepted = new Map<string, AcceptedSale[]>(chosen.map((store) => [store.store_id, []]));
  let stopping = false;
  const lanes = chosen.flatMap((store, i) =>
    [0, 1].map(async (lane) => {
      for (let round = 0; !stopping; round++) {
        const run = await runSimulator({
          stores: [{ ...store, url: stores[i]!.url }],
          events: ROUND_EVENTS,
          ratePerSecond: options.ratePerSecond / 2,
          badRate: options.badRate,
          retryRate: 0.05,
          catalog,
          seed: options.seed * 100_000 + round * 2 + lane,
          terminalsPerStore: POS_TERMINALS,
          runTag: `c${options.seed}l${lane}r${round}`,
          maxAttempts: POS_MAX_ATTEMPTS,
        });
        accepted.get(store.store_id)!.push(...run.stores[0]!.accepted);
      }
    }),
  );
  return {
    confirmed: () => [...accepted.values()].reduce((total, sales) => total + sales.length, 0),
    async stop() {
      stopping = true;
      await Promise.all(lanes);
    },
    accepted: () => accepted,
  };
}

async function judge(node: CentralNode, stores: StoreProcess[], acceptedByStore: Map<string, AcceptedSale[]>): Promise<Pick<ChaosResult, 'accepted' | 'stored' | 'missing' | 'duplicated'>> {
  const { orderStore, deadLetters } = node.central;
  let accepted = 0;
  let stored = 0;
  let missing = 0;
  let duplicated = 0;
  const reconcileInputs: Array<{ store_id: string; acked_high_water: number }> = [];
  for (const store of stores) {
    const status = await storeStatus(store);
    const acked = new Set((acceptedByStore.get(status.store_id) ?? []).map((sale) => sale.event_id));
    const storedRows = await orderStore.seqsForStore(status.store_id, 1, status.last_seq);
    const storedIds = new Set(storedRows.map((row) => row.event_id));
    const letteredIds = new Set((await deadLetters.list({ storeId: status.store_id, includeReplayed: false })).flatMap((letter) => (letter.event_id ? [letter.event_id] : [])));
    accepted += acked.size;
    stored += storedIds.size;
    missing += [...acked].filter((id) => !storedIds.has(id) && !letteredIds.has(id)).length;
    duplicated += storedRows.length - storedIds.size + [...storedIds].filter((id) => letteredIds.has(id)).length;
    reconcileInputs.push({ store_id: status.store_id, acked_high_water: status.last_seq });
  }
  const report = await node.dags.reconcile(reconcileInputs);
  return { accepted, stored, missing: Math.max(missing, report.totals.missing), duplicated: duplicated + report.totals.duplicated };
}

/** SIGKILL the broker, then start it again; `up` returns once it answers. Async: central runs in this process. */
async function restartKafka(): Promise<void> {
  await services('kill', 'kafka');
  await services('up', 'kafka');
}

function requireServers(names: string[]): void {
  const status = spawnSync(join(REPO_ROOT, 'scripts/services'), ['status', ...names], { encoding: 'utf8', env: servicesEnv() });
  if (status.status !== 0) {
    throw new ChaosPreconditionError(
      `this chaos run needs the real servers (${names.join(', ')}), and they are not all up:\n${status.stdout}${status.stderr}` +
        'start them with `scripts/services up` and load their addresses with `eval "$(scripts/services env --export)"`',
    );
  }
}

function services(command: string, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(REPO_ROOT, 'scripts/services'), [command, name], { env: servicesEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`scripts/services ${command} ${name} failed (exit ${code}):\n${output}`))));
  });
}

/** scripts/services finds its pid files under RS_DATA_DIR, which must be the project's, not this run's. */
function servicesEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.RS_DATA_DIR;
  return env;
}

/** A topic and consumer group of this run's own on the shared broker, deleted afterwards. */
function kafkaTopicIsolation(): ProductionIsolation {
  const name = `rs_chaos_${Date.now().toString(36)}`;
  return {
    name,
    env: { RS_KAFKA_TOPIC: name, RS_KAFKA_GROUP_ID: name },
    async drop() {
      const admin = new Kafka({ clientId: 'retail-sync-chaos', brokers: (process.env.RS_KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      if ((await admin.listTopics()).includes(name)) await admin.deleteTopics({ topics: [name] });
      await admin.disconnect();
    },
  };
}

/** mulberry32: kill moments and victims are reproducible from --seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
