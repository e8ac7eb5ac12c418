/**
 * Enqueue: central's ingest core (envelope check, high-water record in Cassandra, BullMQ enqueue with
 * job id = event_id and, in the same pipeline, the owner read-back that tells accepted from duplicate) taking one store's batches
 * of 500, one after the other as one Ship stream sends them. Ceiling: bullmq's bare Queue.addBulk of
 * the same jobs (same data, job ids and options) in the same batches, into a queue of its own.
 */
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { createIngestCore, loadCentralConfig, startCentral, type IngestEvent } from '@retail-sync/central';
import { newEventId, newTraceId } from '@retail-sync/libs/domain';
import { productionIsolation } from '../lib/production-isolation.ts';
import { fileLogger, REPO_ROOT } from '../lib/stack.ts';
import { explainMiss, interleave, medianFigures, perSecond, ratioTarget, timed, type BenchStage, type Figures } from './harness.ts';
import { catalogStore, saleMaker } from './pos-load.ts';
import { profileInProcess, summarizeProfile } from './profile.ts';

const BATCH = 500;
const TARGET = 0.7;
const QUEUE_NAME = 'sales';
const BARE_QUEUE_NAME = 'sales-bare';

export const enqueueStage: BenchStage = {
  name: 'enqueue',
  needs: ['redis', 'cassandra', 'clickhouse', 'kafka'],
  title: `enqueue: central's ingest core taking one store's batches of ${BATCH} into BullMQ vs bare bullmq addBulk of the same jobs`,
  async run(scale, context) {
    const events = scale.pick(50_000, 2_000);
    const isolation = productionIsolation();
    const env = { ...process.env, ...isolation.env, RS_PROFILE: 'production', RS_CENTRAL_ROLES: 'admin', RS_ADMIN_PORT: '0', RS_QUEUE_NAME: QUEUE_NAME, RS_CATALOG_PATH: join(REPO_ROOT, 'data/seed/catalog.json') };
    const config = loadCentralConfig(env);
    const logger = fileLogger(join(context.workDir, 'enqueue-central.log'), 'warn');
    const central = await startCentral(config, { logger });
    const connection = { url: config.RS_REDIS_URL };
    const ourQueue = new Queue(QUEUE_NAME, { connection, prefix: isolation.name });
    const bareQueue = new Queue(BARE_QUEUE_NAME, { connection, prefix: isolation.name });
    try {
      const core = createIngestCore({ queue: central.queue, orderStore: central.orderStore, deadLetters: central.deadLetters, logger });
      const store = catalogStore(0);
      const sale = saleMaker(store);
      let seq = 0;
      let roundEvents: IngestEvent[] = [];
      const batches = (list: IngestEvent[]) => Array.from({ length: Math.ceil(list.length / BATCH) }, (_, i) => list.slice(i * BATCH, (i + 1) * BATCH));

      const nextEvents = (): IngestEvent[] =>
        Array.from({ length: events }, () => {
          seq += 1;
          return { event_id: newEventId(), store_id: store.store_id, seq, received_at: new Date().toISOString(), trace_id: newTraceId(), sale_json: JSON.stringify(sale(seq)) };
        });
      const ingest = async (list: IngestEvent[]): Promise<Figures> => {
        const ms = await timed(async () => {
          for (const batch of batches(list)) {
            const acks = await core.ingestBatch(store.store_id, { events: batch, high_water_seq: batch.at(-1)!.seq });
            const refused = acks.filter((ack) => ack.outcome !== 'ACCEPTED');
            if (refused.length > 0) throw new Error(`ingest answered ${refused[0]!.outcome} ${refused[0]!.reason_code} ${refused[0]!.reason}`);
          }
        });
        return { events_per_s: perSecond(events, ms) };
      };
      const ours = () => ingest((roundEvents = nextEvents()));

      // The job BullmqQueue.enqueue adds (central/src/queue/bullmq/queue.ts): name sale:<token>, data = the envelope + sale_json.
      const jobOptions = {
        attempts: 1_000_000_000,
        backoff: { type: 'retail-sync' },
        removeOnComplete: { age: Math.ceil(config.RS_QUEUE_DEDUPE_WINDOW_MS / 1000), count: config.RS_BULLMQ_KEEP_COMPLETED },
        removeOnFail: { age: Math.ceil(config.RS_QUEUE_DEDUPE_WINDOW_MS / 1000), count: config.RS_BULLMQ_KEEP_FAILED },
      };
      const ceiling = async (round: number): Promise<Figures> => {
        const ms = await timed(async () => {
          for (const [index, batch] of batches(roundEvents).entries()) {
            await bareQueue.addBulk(batch.map((event) => ({ name: `sale:bench-${round}-${index}`, data: event, opts: { ...jobOptions, jobId: event.event_id } })));
          }
        });
        // Next round starts from empty queues, as this one did.
        await ourQueue.obliterate({ force: true });
        await bareQueue.obliterate({ force: true });
        return { events_per_s: perSecond(events, ms) };
      };

      const measured = await interleave(scale.rounds, ours, ceiling);
      const oursFigures = medianFigures(measured.ours);
      const ceilingFigures = medianFigures(measured.ceiling);
      const notes = [
        `${events.toLocaleString('en-US')} events per round in batches of ${BATCH}, sequential (one store's Ship stream), ${scale.rounds} interleaved rounds, medians; Redis and Cassandra from scripts/services, queue prefix and keyspace of this run's own (dropped after).`,
        'Ours per batch: envelope check (zod), BullMQ\'s add script per job plus one job-owners Lua script (accepted vs duplicate) in the same pipeline, i.e. one Redis round trip, and recordStoreProgress in Cassandra in parallel; the ceiling is the addBulk alone.',
      ];
      return await explainMiss({ ours: oursFigures, ceiling: ceilingFigures, ...ratioTarget(oursFigures.events_per_s! / ceilingFigures.events_per_s!, TARGET), notes }, async () => {
        const list = nextEvents();
        const profile = await profileInProcess(async () => void (await ingest(list)));
        return [
          ...summarizeProfile(profile),
          'The ceiling is one pipelined addBulk per batch. Ingest pipelines the same add scripts (built by BullMQ\'s own Job and backend, so the same bytes) and one more command, job-owners.lua, which reads every job\'s name and failed score inside Redis and answers one integer per event; so an accepted batch is one round trip, as the ceiling\'s. ' +
            'What remains is per event: the zod envelope check and the ack, and per batch the Cassandra high-water write (in parallel with the enqueue). Most of the CPU is shared with the ceiling: BullMQ building each job (asJSON, msgpack of its options), ioredis serialising ~1 KB per job, and the garbage both leave.',
        ];
      });
    } finally {
      await ourQueue.close();
      await bareQueue.close();
      await central.close();
      await isolation.drop();
    }
  },
};
