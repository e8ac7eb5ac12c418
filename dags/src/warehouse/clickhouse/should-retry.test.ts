import { describe, expect, it } from 'vitest';
import { clickHouseErrorCode, shouldRetry, toWarehouseError } from './should-retry.ts';

/** 18.16's text, which @clickhouse/client leaves as a plain Error (its parser wants the newer format). */
const legacy = (code: number, text: string) => new Error(`Code: ${code}, e.displayText() = DB::Exception: ${text}, e.what() = DB::Exception\n`);
/** What the client builds from a current server's answer: ClickHouseError with the code kept as a string. */
const current = (code: number, type: string) => Object.assign(new Error(`${type} happened`), { code: String(code), type });

describe('ClickHouse shouldRetry', () => {
  it('reads the server code from the client error or from an 18.16 message', () => {
    expect(clickHouseErrorCode(current(62, 'SYNTAX_ERROR'))).toBe(62);
    expect(clickHouseErrorCode(legacy(60, 'Table x.y doesn\'t exist.'))).toBe(60);
    expect(clickHouseErrorCode(new Error('Code: 241. DB::Exception: Memory limit exceeded (MEMORY_LIMIT_EXCEEDED)'))).toBe(241);
    expect(clickHouseErrorCode(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBeUndefined();
  });

  it('retries timeouts, network failures and memory pressure', () => {
    for (const code of [159, 209, 210, 241, 252]) expect(shouldRetry(legacy(code, 'transient')), String(code)).toEqual({ retry: true });
    expect(shouldRetry(current(159, 'TIMEOUT_EXCEEDED'))).toEqual({ retry: true });
    expect(shouldRetry(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' }))).toEqual({ retry: true });
    expect(shouldRetry(new Error('Timeout error.'))).toEqual({ retry: true });
    expect(shouldRetry(new Error('socket hang up'))).toEqual({ retry: true });
  });

  it('never retries bad SQL or bad data, and names the code', () => {
    expect(shouldRetry(legacy(62, 'Syntax error'))).toEqual({ retry: false, reason: 'ClickHouse 62 SYNTAX_ERROR' });
    expect(shouldRetry(current(60, 'UNKNOWN_TABLE'))).toEqual({ retry: false, reason: 'ClickHouse 60 UNKNOWN_TABLE' });
    expect(shouldRetry(legacy(53, 'Type mismatch'))).toEqual({ retry: false, reason: 'ClickHouse 53 TYPE_MISMATCH' });
    expect(shouldRetry(legacy(48, 'Not implemented'))).toEqual({ retry: false, reason: 'ClickHouse 48 error' });
  });

  it('wraps into the catalogue by that decision, keeping errors that already carry an RS_ERR code', () => {
    expect(toWarehouseError(legacy(210, 'Net'), 'load')).toMatchObject({ code: 'RS_ERR_DEPENDENCY_UNAVAILABLE', retriable: true });
    expect(toWarehouseError(legacy(62, 'Syntax error'), 'load')).toMatchObject({ code: 'RS_ERR_WAREHOUSE_QUERY', retriable: false, message: expect.stringMatching(/^load: Code: 62,/) });
    expect(toWarehouseError(current(62, 'SYNTAX_ERROR'), 'load')).toMatchObject({ code: 'RS_ERR_WAREHOUSE_QUERY' });
    const coded = Object.assign(new Error('x'), { code: 'RS_ERR_PARTITION_MISMATCH' });
    expect(toWarehouseError(coded, 'load')).toBe(coded);
  });
});
