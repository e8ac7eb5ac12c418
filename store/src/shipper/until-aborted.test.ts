import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sleepUnlessAborted, untilAborted } from './until-aborted.ts';

describe('untilAborted', () => {
  it('settles with the work and removes its listeners, however often it is called', async () => {
    const stop = new AbortController();
    const other = new AbortController();
    for (let i = 0; i < 1_000; i++) expect(await untilAborted(Promise.resolve(i), [stop.signal, other.signal])).toBe(i);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
  });

  it('resolves undefined as soon as a signal aborts, without waiting for the work', async () => {
    const stop = new AbortController();
    const never = new Promise<number>(() => undefined);
    const waiting = untilAborted(never, [new AbortController().signal, stop.signal]);
    stop.abort();
    expect(await waiting).toBeUndefined();
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    expect(await untilAborted(Promise.resolve(1), [stop.signal])).toBeUndefined();
  });

  it('passes the work\'s rejection through and swallows it once aborted', async () => {
    const stop = new AbortController();
    await expect(untilAborted(Promise.reject(new Error('boom')), [stop.signal])).rejects.toThrow('boom');
    stop.abort();
    await expect(untilAborted(Promise.reject(new Error('late')), [stop.signal])).resolves.toBeUndefined();
  });

  it('cuts a sleep short on abort', async () => {
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(), 20);
    await sleepUnlessAborted(120_000, [stop.signal]);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
