import { describe, expect, it } from 'vitest';
import { shouldRetry, toWarehouseError } from './should-retry.ts';

describe('DuckDB shouldRetry', () => {
  it('retries transient failures: I/O, write conflicts, memory pressure', () => {
    expect(shouldRetry(new Error('IO Error: Could not write file "x.wal"'))).toEqual({ retry: true });
    expect(shouldRetry(new Error('TransactionContext Error: Conflict on update'))).toEqual({ retry: true });
    expect(shouldRetry(new Error('Out of Memory Error: failed to allocate'))).toEqual({ retry: true });
  });

  it('never retries bad SQL or bad data, and says why', () => {
    expect(shouldRetry(new Error('Binder Error: column "nope" not found'))).toEqual({ retry: false, reason: 'Binder Error' });
    expect(shouldRetry(new Error('Conversion Error: could not convert string'))).toEqual({ retry: false, reason: 'Conversion Error' });
  });

  it('wraps into the catalogue by that decision, keeping errors that already carry a code', () => {
    expect(toWarehouseError(new Error('IO Error: disk'), 'load')).toMatchObject({ code: 'RS_ERR_DEPENDENCY_UNAVAILABLE', retriable: true });
    expect(toWarehouseError(new Error('Parser Error: syntax'), 'load')).toMatchObject({ code: 'RS_ERR_WAREHOUSE_QUERY', retriable: false, message: 'load: Parser Error: syntax' });
    const coded = Object.assign(new Error('x'), { code: 'RS_ERR_PARTITION_MISMATCH' });
    expect(toWarehouseError(coded, 'load')).toBe(coded);
  });
});
