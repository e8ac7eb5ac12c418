// Producer throughput: N events (default 50 000) appended to a fresh buffer, then shipped by the
// KafkaShipper with the store's default batch settings to a private topic; prints events/s. With
// `--kcat-file <path>` it also writes the same records (key<TAB>value per line) for `kcat -P -K '\t'`;
// with `--cpu-profile <path>` it writes a .cpuprofile of the shipping phase alone (not the buffer fill).
// Run: eval "$(scripts/services env --export)"; node --import tsx store/src/shipper/kafka/kafka-shipper.bench.ts [N] [--kcat-file f] [--cpu-profile f]
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { Kafka, logLevel } from 'kafkajs';
import { DEV_STORE_KEY_SECRET, storeKeyFor, type SaleEvent } from '@retail-sync/libs/domain';
import { kafkaSaleRecord } from '@retail-sync/libs/proto';
import { DiskBuffer } from '../../buffer/index.ts';
import { storeConfig } from '../../config.ts';
import { captureLogger, makeTempDir } from '../../testing/capture-logger.ts';
import { saleEvent } from '../../testing/sale-factory.ts';
import { KafkaShipper } from './kafka-shipper.ts';

const args = process.argv.slice(2);
const count = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 50_000);
const kcatFile = args.includes('--kcat-file') ? args[args.indexOf('--kcat-file') + 1] : undefined;
const profileFile = args.includes('--cpu-profile') ? args[args.indexOf('--cpu-profile') + 1] : undefined;
const brokers = (process.env.RS_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const defaults = storeConfig();
const STORE = 'nyc-001';

const topic = `rs-test-bench-${randomUUID().slice(0, 8)}`;
const admin = new Kafka({ clientId: 'rs-bench', brokers, logLevel: logLevel.NOTHING }).admin();
await admin.connect();
await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 6, replicationFactor: 1 }] });

const { dir, cleanup } = await makeTempDir('kafka-bench');
const buffer = await DiskBuffer.open<SaleEvent>(dir, { groupCommitWaitMs: 0 });
const events: SaleEvent[] = [];
for (let start = 0; start < count; start += 5_000) {
  await buffer.append(Array.from({ length: Math.min(5_000, count - start) }, () => (seq: number) => (events.push(saleEvent(STORE, seq)), events.at(-1)!)));
}
const bufferedBytes = buffer.stats().bytes;

const shipper = new KafkaShipper(buffer, {
  storeId: STORE,
  keySecret: DEV_STORE_KEY_SECRET,
  brokers,
  topic,
  clientId: 'rs-bench',
  batchMaxEvents: defaults.RS_KAFKA_BATCH_MAX_EVENTS,
  batchMaxBytes: defaults.RS_KAFKA_BATCH_MAX_BYTES,
  requestTimeoutMs: defaults.RS_KAFKA_REQUEST_TIMEOUT_MS,
  sendRetries: defaults.RS_KAFKA_SEND_RETRIES,
  connectTimeoutMs: defaults.RS_SHIP_CONNECT_TIMEOUT_MS,
  backoffBaseMs: defaults.RS_SHIP_BACKOFF_BASE_MS,
  backoffMaxMs: defaults.RS_SHIP_BACKOFF_MAX_MS,
  haltBackoffMs: defaults.RS_SHIP_AUTH_BACKOFF_MS,
  idlePollMs: defaults.RS_SHIP_IDLE_POLL_MS,
  logger: captureLogger('warn').logger,
});
const session = profileFile ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
}
const cpuBefore = process.cpuUsage();
const started = performance.now();
shipper.start();
while (buffer.stats().ackedSeq < count) await new Promise((resolve) => setTimeout(resolve, 5));
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
if (session && profileFile) {
  const { profile } = await session.post('Profiler.stop');
  await writeFile(profileFile, JSON.stringify(profile));
  session.disconnect();
}
await shipper.stop();
await buffer.close();
await cleanup();

const offsets = await admin.fetchTopicOffsets(topic);
const inTopic = offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
console.log(
  JSON.stringify({
    events: count,
    seconds: Number(seconds.toFixed(2)),
    events_per_s: Math.round(count / seconds),
    cpu_us_per_event: Number(((cpu.user + cpu.system) / count).toFixed(1)),
    buffered_mib: Number((bufferedBytes / 2 ** 20).toFixed(1)),
    records_in_topic: inTopic,
    batch_max_events: defaults.RS_KAFKA_BATCH_MAX_EVENTS,
    batch_max_bytes: defaults.RS_KAFKA_BATCH_MAX_BYTES,
    topic,
  }),
);

if (kcatFile) {
  const storeKey = storeKeyFor(DEV_STORE_KEY_SECRET, STORE);
  const lines = events.map((event) => {
    const record = kafkaSaleRecord(
      { event_id: event.event_id, store_id: event.store_id, seq: event.seq, received_at: event.received_at, trace_id: event.trace_id, sale_json: JSON.stringify(event.sale), high_water_seq: count },
      storeKey,
    );
    return `${record.key}\t${record.value.toString('utf8')}`;
  });
  await writeFile(kcatFile, `${lines.join('\n')}\n`);
  const kcatTopic = `${topic}-kcat`;
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: kcatTopic, numPartitions: 6, replicationFactor: 1 }] });
  console.log(JSON.stringify({ kcat_file: kcatFile, kcat_topic: kcatTopic }));
} else {
  await admin.deleteTopics({ topics: [topic] });
}
await admin.disconnect();
