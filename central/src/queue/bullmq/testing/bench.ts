/**
 * Throughput of the BullMQ queue on the project's Redis, on a queue of its own that it obliterates:
 * enqueue() in batches of 500 vs bare Queue.addBulk of the same jobs, then a no-op consumer at
 * concurrency 1 and 16. Usage: RS_REDIS_URL=… node --import tsx bench.ts [events]
 */
import { createLogger } from '@retail-sync/libs/log';
import { Queue } from 'bullmq';
import { queuedEventFixture } from '../../queue.contract.ts';
import { BullmqQueue } from '../queue.ts';
import { testQueueOptions } from './redis-test-env.ts';

const total = Number(process.argv[2] ?? 20_000);
const batch = 500;
const logger = createLogger({ service: 'bench', level: 'warn' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rate = (count: number, ms: number) => `${Math.round((count / ms) * 1000)} events/s`;

async function enqueueRate(): Promise<void> {
  const options = testQueueOptions({ lockDurationMs: 30_000, stalledIntervalMs: 30_000 });
  const queue = new BullmqQueue(options, logger);
  const newEvents = () =>
    Array.from({ length: total }, (_, index) => queuedEventFixture({ seq: index + 1, sale_json: JSON.stringify({ receipt_no: `r-${index}`, lines: [{ sku: 'SKU-1', qty: 1, unit_price_minor: 499 }] }) }));
  const events = newEvents();
  let started = Date.now();
  for (let start = 0; start < total; start += batch) await queue.enqueue(events.slice(start, start + batch));
  console.info(`enqueue() batches of ${batch}: ${rate(total, Date.now() - started)}`);

  const bare = new Queue(`${options.queueName}-bare`, { connection: { url: options.redisUrl }, prefix: options.prefix });
  started = Date.now();
  for (let start = 0; start < total; start += batch) {
    await bare.addBulk(events.slice(start, start + batch).map((event) => ({ name: 'sale', data: event, opts: { jobId: event.event_id, removeOnComplete: { age: 3600, count: 100_000 } } })));
  }
  console.info(`bare addBulk batches of ${batch}: ${rate(total, Date.now() - started)}`);
  await bare.obliterate({ force: true });
  await bare.close();

  for (const concurrency of [1, 16]) {
    const consumerQueue = new BullmqQueue(options, logger);
    if (concurrency > 1) {
      const more = newEvents();
      for (let start = 0; start < total; start += batch) await queue.enqueue(more.slice(start, start + batch));
    }
    let processed = 0;
    started = Date.now();
    const consumer = consumerQueue.consume(async () => void (processed += 1), async () => undefined, { concurrency, attempts: 3, backoffMs: 100 });
    while (processed < total) await sleep(5);
    console.info(`consume no-op, concurrency ${concurrency}: ${rate(total, Date.now() - started)}`);
    await consumer.close();
    await consumerQueue.close();
  }
  await queue.obliterate();
  await queue.close();
}

await enqueueRate();
