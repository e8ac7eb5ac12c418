/**
 * Embedded queue: QueuePort on a local DuckDB file (data/central/queue.duckdb) with leases, batched
 * claims, exponential backoff and a completed-id window for duplicates. The `npm start` profile.
 */
export { EmbeddedQueue, type ClaimedJob, type JobResolution } from './queue.ts';
export { embeddedQueueConfigShape, embeddedQueueOptionsFrom, type EmbeddedQueueOptions } from './config.ts';
