/**
 * Kafka shipping: a store process (RS_TRANSPORT=kafka: kafkajs idempotent producer, acks=all) starts on
 * a buffer of N unacked sales and produces them until its ack cursor reaches N. Ceiling: kcat
 * (librdkafka) producing the very records the store produced (read back from the topic), with acks=all
 * and idempotence, no compression on either side, to a topic of its own with the same partition count.
 * One more drain runs under the CPU profiler for "where the time goes" (the target is report-only, so the
 * harness does not ask for it).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { KAFKA_HEADER_CONTENT_TYPE, KAFKA_HEADER_SIGNATURE, KAFKA_HEADER_STORE_ID, KAFKA_SALE_EVENT_CONTENT_TYPE } from '@retail-sync/libs/proto';
import { interleave, medianFigures, perSecond, sleep, type BenchStage, type Figures } from './harness.ts';
import { cpuSecondsOf, startStore, type BenchStore } from './processes.ts';
import { cpuProfileEnv, readChildProfile, startChildProfile, summarizeProfile } from './profile.ts';
import { copyFilledStore, filledStore, storeStatus } from './store-fixture.ts';

const run = promisify(execFile);
const PARTITIONS = 6;

export const kafkaStage: BenchStage = {
  name: 'kafka',
  needs: ['kafka', 'kcat'],
  title: 'Kafka shipping: the store\'s Kafka producer draining N buffered sales (acks=all, idempotent) vs kcat producing the same messages',
  async run(scale, context) {
    const events = scale.pick(100_000, 5_000);
    const source = await filledStore(context, events);
    const brokers = process.env.RS_KAFKA_BROKERS ?? '127.0.0.1:19092';
    const topic = `rs_bench_${Date.now().toString(36)}`;
    const kcatTopic = `${topic}_kcat`;
    const admin = new Kafka({ clientId: 'retail-sync-bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const recordsFile = join(context.workDir, 'kafka-records.tsv');
    try {
      await admin.createTopics({ waitForLeaders: true, topics: [topic, kcatTopic].map((name) => ({ topic: name, numPartitions: PARTITIONS, replicationFactor: 1 })) });
      const inTopic = async (name: string) => (await admin.fetchTopicOffsets(name)).reduce((sum, partition) => sum + Number(partition.high), 0);

      const ours = async (round: number, extraEnv: Record<string, string> = {}, onStarted?: (store: BenchStore) => Promise<void>): Promise<Figures> => {
        const dataDir = join(context.workDir, `kafka-${round}`);
        const remove = copyFilledStore(source, dataDir);
        const env = { RS_TRANSPORT: 'kafka', RS_KAFKA_BROKERS: brokers, RS_KAFKA_TOPIC: topic, ...extraEnv };
        const store = await startStore({ storeId: source.storeId, dataDir, endpoints: '127.0.0.1:1', logFile: join(context.workDir, 'kafka-store.log'), env });
        try {
          await onStarted?.(store);
          const started = performance.now();
          const cpuBefore = cpuSecondsOf(store.pid);
          while ((await storeStatus(store.url)).acked_seq < events) {
            if (performance.now() - started > 300_000) throw new Error(`the store did not produce ${events} records in 300 s`);
            await sleep(20);
          }
          const ms = performance.now() - started;
          const cpu = cpuSecondsOf(store.pid) - cpuBefore;
          if (round === 0) await writeRecords(brokers, topic, events, recordsFile);
          return { events_per_s: perSecond(events, ms), store_cpu_us_per_event: (cpu * 1e6) / events };
        } finally {
          await store.stop();
          remove();
        }
      };

      const kcat = async (): Promise<Figures> => {
        const before = await inTopic(kcatTopic);
        const headers = [`${KAFKA_HEADER_STORE_ID}=${source.storeId}`, `${KAFKA_HEADER_CONTENT_TYPE}=${KAFKA_SALE_EVENT_CONTENT_TYPE}`, `${KAFKA_HEADER_SIGNATURE}=${'0'.repeat(64)}`].flatMap((header) => ['-H', header]);
        const args = ['-P', '-q', '-b', brokers, '-t', kcatTopic, '-K', '\t', '-X', 'acks=all', '-X', 'enable.idempotence=true', ...headers, '-l', recordsFile];
        const started = performance.now();
        await run('kcat', args, { maxBuffer: 16 * 2 ** 20 });
        const ms = performance.now() - started;
        const produced = (await inTopic(kcatTopic)) - before;
        if (produced !== events) throw new Error(`kcat produced ${produced} of ${events} records`);
        return { events_per_s: perSecond(events, ms) };
      };

      const measured = await interleave(scale.rounds, (round) => ours(round), kcat);
      const oursFigures = medianFigures(measured.ours);
      const ceiling = medianFigures(measured.ceiling);
      const profileDir = join(context.workDir, 'kafka-profile');
      mkdirSync(profileDir, { recursive: true });
      const profile = await ours(scale.rounds, cpuProfileEnv(profileDir), (store) => startChildProfile(store.pid))
        .then(() => [
          ...summarizeProfile(readChildProfile(profileDir)),
          `The store spends ~${oursFigures.store_cpu_us_per_event!.toFixed(0)} µs of CPU per event, which caps one core near ${Math.round(1e6 / oursFigures.store_cpu_us_per_event!).toLocaleString('en-US')} events/s. ` +
            'Most of it is kafkajs encoding each record in JavaScript: a zero-filled Buffer.alloc per record and per header (the record\'s grown once more for the value), the batch grown by doubling and copied into the request, a table-driven CRC32C in JS over every batch, a quadratic grouping of a batch\'s messages by partition (groupMessagesPerPartition), and the garbage all of it makes. ' +
            'The store\'s own part is reading the records back (checksum, no parse), each value copied out of the buffered bytes with the sale escaped as a JSON string, one HMAC-SHA256 per record (kafka-records.ts), and the receipt index persisting each fully acked segment\'s keys (store/src/intake). ' +
            'What would close the rest: a producer that encodes natively (librdkafka, which kcat uses, through @confluentinc/kafka-javascript), or kafkajs\'s encoder patched (native CRC32C, unzeroed buffers, linear grouping).',
        ])
        .catch((error: unknown) => [`profile could not be taken: ${error instanceof Error ? error.message : String(error)}`]);
      return {
        ours: oursFigures,
        ceiling,
        ratio: oursFigures.events_per_s! / ceiling.events_per_s!,
        target: null,
        met: null,
        profile,
        notes: [
          `${events.toLocaleString('en-US')} sales per round (one store, so one key and one partition of ${PARTITIONS}), ${scale.rounds} interleaved rounds, medians. Ours: from the store answering /healthz (its producer connecting) until its ack cursor reaches N; kcat: process start to exit (it flushes every delivery before exiting).`,
          'kcat sends the records the store produced (key and value bytes read back from the topic) with acks=all and enable.idempotence=true, librdkafka defaults otherwise (linger.ms 5, batches up to 1 MB); it cannot vary a header per message, so it sends the same header names with a fixed signature of the same size.',
          'The store producer keeps one produce request (a batch of at most RS_KAFKA_BATCH_MAX_EVENTS / RS_KAFKA_BATCH_MAX_BYTES) in flight: kafkajs\'s idempotent producer serialises requests per broker behind a lock and keeps sequence numbers right only with one in flight. While it is on the wire the store reads and signs the next batch, and the cursor writes run behind the sends (folded, flushed before a session ends). librdkafka keeps up to 5 requests in flight with idempotence and encodes in C.',
        ],
      };
    } finally {
      await admin.deleteTopics({ topics: [topic, kcatTopic] }).catch(() => undefined);
      await admin.disconnect();
    }
  },
};

/** The topic's records as `key<TAB>value` lines for `kcat -K '\t' -l`, read back with kcat itself. */
async function writeRecords(brokers: string, topic: string, events: number, path: string): Promise<void> {
  const { stdout } = await run('kcat', ['-C', '-q', '-e', '-b', brokers, '-t', topic, '-f', '%k\t%s\n', '-o', 'beginning'], { maxBuffer: 2 ** 31 - 1 });
  const lines = stdout.split('\n').filter(Boolean);
  if (lines.length !== events) throw new Error(`read ${lines.length} of ${events} records back from ${topic}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
}
