/**
 * Child process for the kill -9 test: consumes the queue named in argv, records in Redis that it
 * started a job, then blocks on it forever, so the parent can SIGKILL it mid-job.
 * Usage: node --import tsx stalling-worker.ts <queueOptionsJson> <startedListKey>
 */
import { createLogger } from '@retail-sync/libs/log';
import { Redis } from 'ioredis';
import type { BullmqQueueOptions } from '../config.ts';
import { BullmqQueue } from '../queue.ts';

const [optionsJson, startedKey] = process.argv.slice(2);
if (!optionsJson || !startedKey) throw new Error('usage: stalling-worker.ts <queueOptionsJson> <startedListKey>');
const options = JSON.parse(optionsJson) as BullmqQueueOptions;
const recorder = new Redis(options.redisUrl);
const queue = new BullmqQueue(options, createLogger({ service: 'stalling-worker', level: 'warn' }));
queue.consume(
  async (event) => {
    await recorder.rpush(startedKey, `child:${process.pid}:${event.event_id}`);
    await new Promise<never>(() => undefined);
  },
  async () => undefined,
  { concurrency: 1, attempts: 3, backoffMs: 10 },
);
