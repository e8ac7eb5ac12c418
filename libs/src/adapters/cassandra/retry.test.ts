import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { commonErrors } from '../../errors/index.ts';
import { hostCauses, toAdapterError } from './errors.ts';
import { ResponseErrorCode, shouldRetry } from './retry.ts';

const { errors, types } = cassandra;
const response = (code: number) => new errors.ResponseError(code, `server said 0x${code.toString(16)}`);

describe('shouldRetry', () => {
  it('keeps its copy of the error codes equal to the driver’s', () => {
    for (const [name, code] of Object.entries(ResponseErrorCode)) {
      expect((types.responseErrorCodes as unknown as Record<string, number>)[name]).toBe(code);
    }
  });

  it.each([
    ['write timeout', ResponseErrorCode.writeTimeout],
    ['read timeout', ResponseErrorCode.readTimeout],
    ['unavailable', ResponseErrorCode.unavailableException],
    ['overloaded', ResponseErrorCode.overloaded],
    ['bootstrapping', ResponseErrorCode.isBootstrapping],
    ['server error', ResponseErrorCode.serverError],
  ])('retries a %s', (_name, code) => {
    expect(shouldRetry(response(code))).toEqual({ retry: true });
  });

  it.each([
    ['syntax error', ResponseErrorCode.syntaxError, /syntax/],
    ['invalid request', ResponseErrorCode.invalid, /invalid request/],
    ['unauthorized', ResponseErrorCode.unauthorized, /not authorized/],
    ['bad credentials', ResponseErrorCode.badCredentials, /credentials/],
  ])('never retries a %s, and says why', (_name, code, reason) => {
    expect(shouldRetry(response(code))).toEqual({ retry: false, reason: expect.stringMatching(reason) });
  });

  it('retries when no host could be reached, and client-side timeouts', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9042'), { code: 'ECONNREFUSED' });
    expect(shouldRetry(new errors.NoHostAvailableError({ '127.0.0.1:9042': refused }))).toEqual({ retry: true });
    expect(shouldRetry(new errors.OperationTimedOutError('no answer', '127.0.0.1:9042'))).toEqual({ retry: true });
    expect(shouldRetry(new errors.BusyConnectionError('127.0.0.1:9042', 2048, 1))).toEqual({ retry: true });
  });

  it('does not retry when every host refused the credentials', () => {
    const denied = new errors.AuthenticationError('Provided username rs and/or password are incorrect');
    expect(shouldRetry(new errors.NoHostAvailableError({ 'a:9042': denied, 'b:9042': denied }))).toEqual({
      retry: false,
      reason: expect.stringMatching(/^every host failed: authentication failed/),
    });
  });

  it('rejects a value the encoder cannot write and errors it does not know', () => {
    expect(shouldRetry(new TypeError('Not a valid bigint'))).toEqual({ retry: false, reason: expect.stringContaining('TypeError') });
    expect(shouldRetry(new errors.ArgumentError('bad option'))).toMatchObject({ retry: false });
    expect(shouldRetry(new Error('mystery'))).toMatchObject({ retry: false });
  });

  it('follows the decision already carried by a catalogue error', () => {
    expect(shouldRetry(commonErrors.create('RS_ERR_DEPENDENCY_UNAVAILABLE', 'down'))).toEqual({ retry: true });
    expect(shouldRetry(commonErrors.create('RS_ERR_INVALID_EVENT', 'bad'))).toMatchObject({ retry: false });
  });
});

describe('toAdapterError', () => {
  it('turns an unreachable cluster into RS_ERR_DEPENDENCY_UNAVAILABLE keeping every host’s cause', () => {
    const driverError = new errors.NoHostAvailableError({
      '10.0.0.1:9042': Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      '10.0.0.2:9042': new errors.OperationTimedOutError('timed out', '10.0.0.2:9042'),
    });
    const error = toAdapterError(driverError, 'putSales');
    expect(error).toMatchObject({
      code: 'RS_ERR_DEPENDENCY_UNAVAILABLE',
      retriable: true,
      cause: driverError,
      details: {
        operation: 'putSales',
        hosts: [
          { host: '10.0.0.1:9042', name: 'Error', message: 'connect ECONNREFUSED', code: 'ECONNREFUSED' },
          { host: '10.0.0.2:9042', name: 'OperationTimedOutError', message: 'timed out' },
        ],
      },
    });
  });

  it('turns a rejected statement into a non-retriable RS_ERR_CASSANDRA_REJECTED', () => {
    expect(toAdapterError(response(ResponseErrorCode.invalid), 'salesForDate')).toMatchObject({ code: 'RS_ERR_CASSANDRA_REJECTED', retriable: false });
  });

  it('passes catalogue errors through unchanged', () => {
    const original = commonErrors.create('RS_ERR_CONFIG', 'bad key');
    expect(toAdapterError(original, 'migrate')).toBe(original);
    expect(hostCauses('not an error')).toEqual([]);
  });
});
