// Test fixture: one central Kafka ingest replica in its own process, over the embedded queue in
// argv[2] (a dir). Each enqueue is held argv[5] ms after it is durable and before the offset commit,
// so the parent's SIGKILL lands mid-batch; it prints
// "ready" once consuming, then every 50 ms what it enqueued and what the queue holds.
import { openEmbeddedCentral, requireBrokers, TEST_SECRET, testSettings } from './kafka-test-kit.ts';
import { startKafkaIngest } from './kafka-ingest.ts';

const [dir, topic, groupId, slowMs] = process.argv.slice(2) as [string, string, string, string];
const central = await openEmbeddedCentral(dir, { slowEnqueueMs: Number(slowMs) });
const ingest = await startKafkaIngest(testSettings(requireBrokers(), topic, groupId, { RS_KAFKA_INGEST_CHUNK_EVENTS: 100 }), {
  core: central.core,
  deadLetters: central.deadLetters,
  storeKeySecret: TEST_SECRET,
  logger: central.logger,
});
process.stdout.write('ready\n');
const report = setInterval(() => {
  void central.queue.counts().then((counts) => {
    const accepted = central.enqueued.filter((entry) => entry.outcome === 'accepted').length;
    const duplicates = central.enqueued.length - accepted;
    process.stdout.write(`accepted ${accepted} duplicates ${duplicates} queued ${counts.waiting + counts.active + counts.delayed + counts.failed}\n`);
  });
}, 50);
process.once('SIGTERM', () => {
  clearInterval(report);
  void ingest.close().then(() => central.close()).then(() => process.exit(0));
});
