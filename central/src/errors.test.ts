import { commonErrors, GrpcStatus } from '@retail-sync/libs/errors';
import { describe, expect, it } from 'vitest';
import { centralErrors } from './errors.ts';

describe('central error catalogue', () => {
  it('documents every code with a "Thrown when" sentence and a status', () => {
    for (const [code, spec] of Object.entries(centralErrors.specs)) {
      expect(spec.description, code).toMatch(/^Thrown when /);
      expect(spec.httpStatus, code).toBeGreaterThanOrEqual(400);
      expect(Object.values(GrpcStatus), code).toContain(spec.grpcStatus);
    }
  });

  it('never redefines a code libs already owns', () => {
    for (const code of Object.keys(centralErrors.specs)) expect(Object.keys(commonErrors.specs)).not.toContain(code);
  });

  it('answers an unauthenticated store with gRPC status 16', () => {
    const error = centralErrors.create('RS_ERR_UNAUTHENTICATED', 'no key');
    expect(error.grpcStatus).toBe(16);
    expect(error.retriable).toBe(false);
    expect(centralErrors.is(JSON.parse(JSON.stringify(error)), 'RS_ERR_UNAUTHENTICATED')).toBe(true);
  });
});
