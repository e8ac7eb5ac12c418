// Test fixture: enqueues one event, prints its id once enqueue resolved, then dies with SIGKILL
// (no close, no checkpoint), so the parent test can check the job survived.
import { newEventId, newTraceId } from '@retail-sync/libs/domain';
import { EmbeddedQueue } from './queue.ts';

const queue = await EmbeddedQueue.open({ path: process.argv[2]! });
const eventId = newEventId();
await queue.enqueue([{ event_id: eventId, store_id: 'nyc-001', seq: 1, received_at: new Date().toISOString(), trace_id: newTraceId(), sale_json: '{}' }]);
process.stdout.write(`${eventId}\n`, () => process.kill(process.pid, 'SIGKILL'));
