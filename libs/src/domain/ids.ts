/** Event ids are UUIDv7: time-ordered, so Cassandra partitions and log scans stay in arrival order. */
import { v7 as uuidv7, validate, version } from 'uuid';

export function newEventId(): string {
  return uuidv7();
}

/** A trace id follows one sale through every hop and every log line (W3C trace-id shape: 32 hex). */
export function newTraceId(): string {
  return uuidv7().replaceAll('-', '');
}

export function isEventId(value: string): boolean {
  return validate(value) && version(value) === 7;
}
