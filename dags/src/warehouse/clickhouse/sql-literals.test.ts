import { describe, expect, it } from 'vitest';
import { bindParams, quoteDate, quoteInteger, quoteString } from './sql-literals.ts';

describe('ClickHouse literal binding', () => {
  it('escapes strings per ClickHouse rules: backslash, quote and control characters', () => {
    expect(quoteString(`O'Brien`)).toBe(`'O\\'Brien'`);
    expect(quoteString('a\\b')).toBe(`'a\\\\b'`);
    expect(quoteString('line\nnext\ttab\0')).toBe(`'line\\nnext\\ttab\\0'`);
    expect(quoteString('№ é 🙂')).toBe(`'№ é 🙂'`);
    expect(quoteString(`\\'; DROP TABLE x; --`)).toBe(`'\\\\\\'; DROP TABLE x; --'`);
  });

  it('accepts only real YYYY-MM-DD days and safe integers', () => {
    expect(quoteDate('2026-11-01')).toBe("toDate('2026-11-01')");
    for (const bad of ['2026-02-30', '2026-1-01', "2026-11-01' OR 1", '']) expect(() => quoteDate(bad), bad).toThrow(expect.objectContaining({ code: 'RS_ERR_WAREHOUSE_QUERY' }));
    expect(quoteInteger(-42)).toBe('-42');
    expect(() => quoteInteger(2 ** 53)).toThrow(expect.objectContaining({ code: 'RS_ERR_WAREHOUSE_QUERY' }));
    expect(() => quoteInteger(1.5)).toThrow(expect.objectContaining({ code: 'RS_ERR_WAREHOUSE_QUERY' }));
  });

  it('binds {name:Type} placeholders by type and refuses missing or mistyped values', () => {
    expect(bindParams('WHERE d = {day:Date} AND s = {store:String} AND n BETWEEN {lo:Int64} AND {hi:UInt32} AND c = {c:Nullable(String)}', {
      day: '2026-11-01', store: "x'y", lo: -1, hi: 9, c: null,
    })).toBe("WHERE d = toDate('2026-11-01') AND s = 'x\\'y' AND n BETWEEN -1 AND 9 AND c = NULL");
    expect(bindParams('SELECT {at:DateTime} AS at', { at: '2026-11-01T01:30:00-04:00' })).toBe("SELECT toDateTime('2026-11-01 05:30:00', 'UTC') AS at");
    expect(() => bindParams('SELECT {x:String}', {})).toThrow(expect.objectContaining({ code: 'RS_ERR_WAREHOUSE_QUERY' }));
    expect(() => bindParams('SELECT {x:Int64}', { x: '1' })).toThrow(/is not a Int64/);
    expect(() => bindParams('SELECT {x:UInt64}', { x: -1 })).toThrow(/negative/);
    expect(() => bindParams('SELECT {x:Array}', { x: 1 })).toThrow(/not a Array/);
  });

  it('substitutes each placeholder once, never inside the values it inserted', () => {
    expect(bindParams('SELECT {a:String}, {b:String}', { a: '{b:String}', b: 'x' })).toBe("SELECT '{b:String}', 'x'");
  });
});
