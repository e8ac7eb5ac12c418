/**
 * Worker: N queued sales drained by 1 and by 2 central worker processes (BullMQ → validate, enrich,
 * order-store write in Cassandra), timed from the queue's resume until every job completed. Ceiling:
 * the very rows those workers wrote (read back from Cassandra) inserted again by bare cassandra-driver
 * concurrent prepared INSERTs, as many in flight as the workers' write concurrency (64 per worker).
 * Re-inserting a row costs Cassandra what the first insert did: writes are blind upserts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Client as CassandraClient, concurrent, types } from 'cassandra-driver';
import { loadCentralConfig, startCentral, type Central } from '@retail-sync/central';
import { newEventId, newTraceId } from '@retail-sync/libs/domain';
import type { QueuedEvent } from '@retail-sync/libs/ports';
import { productionIsolation } from '../lib/production-isolation.ts';
import { fileLogger, REPO_ROOT } from '../lib/stack.ts';
import { explainMiss, interleave, medianFigures, perSecond, sleep, timed, type BenchStage, type Figures, type StageResult } from './harness.ts';
import { catalogStore, saleMaker } from './pos-load.ts';
import { cpuSecondsOf, spawnCentral, type ServiceProcess } from './processes.ts';
import { cpuProfileEnv, readChildProfile, startChildProfile, summarizeProfile } from './profile.ts';

const TARGET = 0.5;
const QUEUE_NAME = 'sales';
const WRITE_CONCURRENCY_PER_WORKER = 64;

interface Statement {
  query: string;
  params: unknown[];
}

export const workerStage: BenchStage = {
  name: 'worker',
  needs: ['redis', 'cassandra', 'clickhouse', 'kafka'],
  title: 'worker: queue → validate/enrich → Cassandra with 1 and 2 worker processes vs bare cassandra-driver concurrent inserts of the same rows',
  async run(scale, context) {
    const events = scale.pick(30_000, 2_000);
    const isolation = productionIsolation();
    const env = { ...isolation.env, RS_QUEUE_NAME: QUEUE_NAME, RS_LOG_LEVEL: 'warn' };
    const config = loadCentralConfig({ ...process.env, ...env, RS_PROFILE: 'production', RS_CENTRAL_ROLES: 'admin', RS_ADMIN_PORT: '0', RS_CATALOG_PATH: join(REPO_ROOT, 'data/seed/catalog.json') });
    // This central only opens (and migrates) the adapters: the bench fills the queue through its QueuePort.
    const central = await startCentral(config, { logger: fileLogger(join(context.workDir, 'worker-central.log'), 'warn') });
    const queue = new Queue(QUEUE_NAME, { connection: { url: config.RS_REDIS_URL }, prefix: isolation.name });
    const cassandra = new CassandraClient({
      contactPoints: config.RS_CASSANDRA_CONTACT_POINTS,
      localDataCenter: config.RS_CASSANDRA_LOCAL_DC,
      keyspace: isolation.name,
      protocolOptions: { maxVersion: 4 },
      queryOptions: { prepare: true, consistency: types.consistencies.localQuorum },
    });
    let nextStore = 1;
    let ceilingRows: Statement[] = [];

    const drain = async (workers: ServiceProcess[]): Promise<Figures> => {
      const store = catalogStore(nextStore++);
      await queue.pause();
      await fillQueue(central, store, events);
      const failedBefore = (await queue.getJobCounts('failed')).failed!;
      const cpuBefore = workers.reduce((sum, worker) => sum + cpuSecondsOf(worker.pid), 0);
      const deadline = Date.now() + Math.max(120_000, events * 10);
      const ms = await timed(async () => {
        await queue.resume();
        // Drained: nothing left to run. A job completes only after its order-store write resolved.
        for (;;) {
          const counts = await queue.getJobCounts('wait', 'prioritized', 'waiting-children', 'active', 'delayed', 'failed');
          if (counts.failed! > failedBefore) throw new Error(`${counts.failed! - failedBefore} jobs failed (dead-lettered); see ${context.workDir}/worker-*.log`);
          const left = Object.entries(counts).reduce((sum, [state, count]) => (state === 'failed' ? sum : sum + count), 0);
          if (left === 0) return;
          if (Date.now() > deadline) throw new Error(`the workers did not drain ${events} jobs in time (${left} left)`);
          await sleep(50);
        }
      });
      const cpu = workers.reduce((sum, worker) => sum + cpuSecondsOf(worker.pid), 0) - cpuBefore;
      if (ceilingRows.length === 0) ceilingRows = await rowsOf(cassandra, isolation.name, store.store_id);
      return { events_per_s: perSecond(events, ms), worker_cpu_us_per_event: (cpu * 1e6) / events };
    };

    const bareInserts = async (workers: number): Promise<Figures> => {
      const ms = await timed(() => concurrent.executeConcurrent(cassandra, ceilingRows, { concurrencyLevel: WRITE_CONCURRENCY_PER_WORKER * workers }));
      return { events_per_s: perSecond(ceilingRows.length / 2, ms) };
    };

    const startWorkers = (count: number, extraEnv: Record<string, string> = {}) =>
      Promise.all(Array.from({ length: count }, (_, i) => spawnCentral({ roles: 'worker', env: { ...env, ...extraEnv }, logFile: join(context.workDir, `worker-${count}-${i}.log`) })));

    try {
      const perWorkers = new Map<number, { ours: Figures; ceiling: Figures }>();
      for (const count of [1, 2]) {
        const workers = await startWorkers(count);
        try {
          const measured = await interleave(scale.rounds, () => drain(workers), () => bareInserts(count));
          perWorkers.set(count, { ours: medianFigures(measured.ours), ceiling: medianFigures(measured.ceiling) });
        } finally {
          await Promise.all(workers.map((worker) => worker.stop()));
        }
      }
      const one = perWorkers.get(1)!;
      const two = perWorkers.get(2)!;
      const ratios = [one.ours.events_per_s! / one.ceiling.events_per_s!, two.ours.events_per_s! / two.ceiling.events_per_s!];
      const result: StageResult = {
        ours: { events_per_s_1_worker: one.ours.events_per_s!, events_per_s_2_workers: two.ours.events_per_s!, worker_cpu_us_per_event: one.ours.worker_cpu_us_per_event! },
        ceiling: { events_per_s_1_worker: one.ceiling.events_per_s!, events_per_s_2_workers: two.ceiling.events_per_s! },
        ratio: Math.min(...ratios),
        target: `≥ ${TARGET} (1 worker: ${ratios[0]!.toFixed(2)}, 2 workers: ${ratios[1]!.toFixed(2)})`,
        met: ratios.every((ratio) => ratio >= TARGET),
        notes: [
          `${events.toLocaleString('en-US')} valid sales per round (a catalog store of their own each round, 1–3 lines), queued while the queue is paused, then timed from resume until no job is left waiting, active or delayed (a job completes only after its Cassandra write); ${scale.rounds} interleaved rounds per worker count, medians. The ratio shown is the lower of the two.`,
          `Ceiling: the ${ceilingRows.length.toLocaleString('en-US')} rows one round wrote to sales_by_store_day and seq_by_store (2 per sale), read back and re-inserted with prepared statements through cassandra-driver's executeConcurrent, ${WRITE_CONCURRENCY_PER_WORKER} in flight per worker (RS_CASSANDRA_WRITE_CONCURRENCY); events_per_s = rows ÷ 2 per second.`,
          'Workers run with RS_WORKER_CONCURRENCY 256 (default), LOCAL_QUORUM on one node; worker_cpu_us_per_event is the 1-worker process\'s CPU (all threads) per sale.',
          `Scaling: 2 workers drain at ${((100 * two.ours.events_per_s!) / one.ours.events_per_s!).toFixed(0)}% of 1 worker's rate, and the bare inserts with twice the statements in flight at ${((100 * two.ceiling.events_per_s!) / one.ceiling.events_per_s!).toFixed(0)}% of their 64-in-flight rate: on this 2-core machine the workers, Redis and Cassandra share the same cores, so a second worker process finds no idle core.`,
        ],
      };
      return await explainMiss(result, async () => {
        const profileDir = join(context.workDir, 'worker-profile');
        mkdirSync(profileDir, { recursive: true });
        const [worker] = await startWorkers(1, { ...cpuProfileEnv(profileDir) });
        try {
          await startChildProfile(worker!.pid);
          await drain([worker!]);
        } finally {
          await worker!.stop();
        }
        return [
          ...summarizeProfile(readChildProfile(profileDir)),
          `The worker process spends ~${one.ours.worker_cpu_us_per_event!.toFixed(0)} µs of CPU per sale, so one core caps it near ${Math.round(1e6 / one.ours.worker_cpu_us_per_event!).toLocaleString('en-US')} sales/s before Cassandra is the limit. ` +
            'The bare inserts are one prepared statement per row with 64 always in flight. A worker also pays per job the BullMQ round trips (fetch + lock, then complete and fetch the next), parses and validates the sale with zod, enriches it and hashes the customer id; and putSales writes in waves (store-day and bucket rows, then every sale row, then every seq row, then the touched dates), each wave waiting for its slowest statement before the next starts. ' +
            'What closes it: one wave per putSales call (the sale and seq rows of a batch are independent, so 2 × 256 statements can share the 64 slots), and completing jobs in bulk instead of one Redis round trip each.',
        ];
      });
    } finally {
      await queue.close();
      await cassandra.shutdown();
      await central.close();
      await isolation.drop();
    }
  },
};

/** Queues `events` valid sales of `store` through central's QueuePort (job id = event_id), in batches of 500. */
async function fillQueue(central: Central, store: ReturnType<typeof catalogStore>, events: number): Promise<void> {
  const sale = saleMaker(store);
  for (let first = 1; first <= events; first += 500) {
    const batch: QueuedEvent[] = [];
    for (let seq = first; seq < Math.min(first + 500, events + 1); seq += 1) {
      batch.push({ event_id: newEventId(), store_id: store.store_id, seq, received_at: new Date().toISOString(), trace_id: newTraceId(), sale_json: JSON.stringify(sale(seq)) });
    }
    await central.queue.enqueue(batch);
  }
}

/** Every sales_by_store_day and seq_by_store row of one store (seqs < 100 000: seq bucket 0), as INSERT statements. */
async function rowsOf(client: CassandraClient, keyspace: string, storeId: string): Promise<Statement[]> {
  const seqRows = await readAll(client, `SELECT * FROM ${keyspace}.seq_by_store WHERE store_id = ? AND seq_bucket = 0`, [storeId]);
  const dates = [...new Set(seqRows.map((row) => String(row.get('business_date'))))];
  const saleRows = (await Promise.all(dates.map((date) => readAll(client, `SELECT * FROM ${keyspace}.sales_by_store_day WHERE store_id = ? AND business_date = ?`, [storeId, date])))).flat();
  const insertOf = (table: string, row: types.Row): Statement => {
    const columns = row.keys();
    return { query: `INSERT INTO ${keyspace}.${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, params: row.values() };
  };
  return [...saleRows.map((row) => insertOf('sales_by_store_day', row)), ...seqRows.map((row) => insertOf('seq_by_store', row))];
}

async function readAll(client: CassandraClient, query: string, params: unknown[]): Promise<types.Row[]> {
  const rows: types.Row[] = [];
  let pageState: string | undefined;
  do {
    const result = await client.execute(query, params, { prepare: true, fetchSize: 5_000, pageState });
    rows.push(...result.rows);
    pageState = result.pageState ?? undefined;
  } while (pageState);
  return rows;
}
