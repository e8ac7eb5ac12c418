import { describe, expect, it } from 'vitest';
import { shouldRetry } from './retry.ts';

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:16379`), { code });
}

describe('shouldRetry (redis calls)', () => {
  it('retries when the socket was refused, reset or timed out', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']) expect(shouldRetry(socketError(code))).toEqual({ retry: true });
  });

  it('retries while redis loads its AOF, fails over or is full under noeviction', () => {
    for (const message of ['LOADING Redis is loading the dataset in memory', 'READONLY You can\'t write against a read only replica.', "OOM command not allowed when used memory > 'maxmemory'."]) {
      expect(shouldRetry(new Error(message))).toEqual({ retry: true });
    }
  });

  it('retries when ioredis gave up on a closed or offline connection', () => {
    expect(shouldRetry(new Error('Connection is closed.'))).toEqual({ retry: true });
    expect(shouldRetry(new Error('Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.'))).toEqual({ retry: true });
    expect(shouldRetry(new Error('redis did not answer within 5000 ms'))).toEqual({ retry: true });
  });

  it('does not retry what only an operator can fix, and says why', () => {
    const decision = shouldRetry(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'));
    expect(decision).toEqual({ retry: false, reason: 'redis refused the call: WRONGTYPE Operation against a key holding the wrong kind of value' });
    expect(shouldRetry(new Error("NOPERM this user has no permissions to run the 'evalsha' command")).retry).toBe(false);
    expect(shouldRetry(new Error("ERR unknown command 'WAITAOF'")).retry).toBe(false);
  });
});
