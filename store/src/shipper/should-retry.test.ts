import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { storeErrors } from '../errors.ts';
import { shouldRetry } from './should-retry.ts';

describe('shouldRetry', () => {
  it('retries transient transport failures', () => {
    for (const code of [status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.CANCELLED, status.INTERNAL, status.RESOURCE_EXHAUSTED]) {
      expect(shouldRetry({ code }), String(code)).toEqual({ retry: true });
    }
    expect(shouldRetry(storeErrors.create('RS_ERR_CENTRAL_UNAVAILABLE', 'down'))).toEqual({ retry: true });
    expect(shouldRetry(storeErrors.create('RS_ERR_SHIP_PROTOCOL', 'empty ack'))).toEqual({ retry: true });
  });

  it('does not retry quickly what only an operator can fix, and says why', () => {
    expect(shouldRetry({ code: status.UNAUTHENTICATED })).toMatchObject({ retry: false, reason: expect.stringContaining('credential') });
    expect(shouldRetry({ code: status.PERMISSION_DENIED })).toMatchObject({ retry: false });
    expect(shouldRetry({ code: status.UNIMPLEMENTED })).toMatchObject({ retry: false });
    expect(shouldRetry(storeErrors.create('RS_ERR_BUFFER_IO', 'fsync failed'))).toMatchObject({ retry: false, reason: expect.stringContaining('restart') });
  });
});
