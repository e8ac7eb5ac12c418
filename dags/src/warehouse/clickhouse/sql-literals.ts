/**
 * Client-side parameter binding. ClickHouse 18.16 has no server-side query parameters (the HTTP
 * `param_<name>` arguments behind @clickhouse/client's `query_params` came in 19.x: 18.16 answers
 * "Code: 115 Unknown setting param_x"), so values are spliced in as literals here. SQL keeps ClickHouse's
 * own placeholder syntax `{name:Type}`, and every value is checked against its type before it is quoted:
 * strings are escaped per ClickHouse's lexer, dates must be real YYYY-MM-DD days, integers safe integers.
 * Nothing else is accepted, so no value can change the statement's shape.
 */
import { dagsErrors } from '../../errors.ts';

export type SqlParams = Record<string, unknown>;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):\s*(Nullable\(\s*[A-Za-z0-9]+\s*\)|[A-Za-z0-9]+)\s*\}/g;
const INTEGER_TYPES = new Set(['Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64']);
const ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0', '\b': '\\b', '\f': '\\f' };

function invalid(message: string): Error {
  return dagsErrors.create('RS_ERR_WAREHOUSE_QUERY', `query parameter ${message}`);
}

/** A ClickHouse string literal: backslash and quote escaped, control characters as escapes. */
export function quoteString(value: string): string {
  return `'${value.replace(/[\\'\n\r\t\0\b\f]/g, (char) => ESCAPES[char]!)}'`;
}

/** A Date literal for a real calendar day YYYY-MM-DD. */
export function quoteDate(value: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const day = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : null;
  if (!day || day.toISOString().slice(0, 10) !== value) throw invalid(`"${value}" is not a YYYY-MM-DD date`);
  return `toDate('${value}')`;
}

/** A DateTime('UTC') literal (second precision: 18.16 has no DateTime64) from an ISO instant. */
export function quoteDateTime(value: string): string {
  const instant = new Date(value);
  if (Number.isNaN(instant.getTime())) throw invalid(`"${value}" is not an ISO instant`);
  return `toDateTime('${toClickHouseDateTime(instant)}', 'UTC')`;
}

export function quoteInteger(value: number): string {
  if (!Number.isSafeInteger(value)) throw invalid(`${String(value)} is not a safe integer`);
  return String(value);
}

/** 'YYYY-MM-DD hh:mm:ss' in UTC, the text form DateTime('UTC') parses with 18.16's basic input format. */
export function toClickHouseDateTime(instant: Date): string {
  return instant.toISOString().slice(0, 19).replace('T', ' ');
}

function quoteAs(type: string, name: string, value: unknown): string {
  const nullable = /^Nullable\(\s*([A-Za-z0-9]+)\s*\)$/.exec(type);
  if (nullable) return value === null ? 'NULL' : quoteAs(nullable[1]!, name, value);
  if (type === 'String' && typeof value === 'string') return quoteString(value);
  if (type === 'Date' && typeof value === 'string') return quoteDate(value);
  if (type === 'DateTime' && typeof value === 'string') return quoteDateTime(value);
  if (INTEGER_TYPES.has(type) && typeof value === 'number') {
    if (type.startsWith('U') && value < 0) throw invalid(`${name}: ${value} is negative for ${type}`);
    return quoteInteger(value);
  }
  throw invalid(`${name}: ${JSON.stringify(value)} is not a ${type} (supported: String, Date, DateTime, [U]Int8..64, Nullable(…))`);
}

/** Replaces each `{name:Type}` with the quoted value of params[name]; a missing param is an error. */
export function bindParams(sql: string, params: SqlParams = {}): string {
  return sql.replace(PLACEHOLDER, (_placeholder, name: string, type: string) => {
    if (!Object.hasOwn(params, name)) throw invalid(`{${name}:${type}} has no value`);
    return quoteAs(type.replace(/\s+/g, ''), name, params[name]);
  });
}
