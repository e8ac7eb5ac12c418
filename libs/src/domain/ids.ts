/** Event ids are UUIDv7: time-ordered, so Cassandra partitions and log scans stay in arrival order. */
import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7, validate, version } from 'uuid';

export function newEventId(): string {
  return uuidv7();
}

/** Random bytes drawn 4 KiB at a time: one trace id per sale at intake, one syscall per 256 of them. */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

/** A trace id follows one sale through every hop and every log line (W3C trace-id shape: 32 hex, random). */
export function newTraceId(): string {
  if (poolOffset + 16 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += 16;
  const id = pool.toString('hex', poolOffset - 16, poolOffset);
  return id === '0'.repeat(32) ? newTraceId() : id; // all-zero is W3C's "invalid"
}

export function isEventId(value: string): boolean {
  return validate(value) && version(value) === 7;
}
