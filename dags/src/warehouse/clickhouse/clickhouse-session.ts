/**
 * The one place that talks to @clickhouse/client. Statements are bound client-side (sql-literals.ts);
 * results come back as plain rows shaped like the DuckDB adapter's: 64-bit integers as numbers (JSON
 * formats quote them as strings), Date as 'YYYY-MM-DDT00:00:00.000Z' and DateTime('UTC') as an ISO
 * instant. Client defaults checked against 18.16: compression off (no enable_http_compression setting
 * sent), no session id, no query_params; the client's own logging is off because every failure is
 * wrapped and reported by the adapter.
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { bindParams, type SqlParams } from './sql-literals.ts';

export type Row = Record<string, unknown>;

export interface SessionOptions {
  url: string;
  database: string;
  username: string;
  password: string;
  requestTimeoutMs: number;
}

interface JsonResult {
  meta: Array<{ name: string; type: string }>;
  data: Row[];
}

export class ClickHouseSession {
  private readonly client: ClickHouseClient;

  constructor(options: SessionOptions) {
    this.client = createClient({
      url: options.url,
      database: options.database,
      username: options.username,
      password: options.password,
      request_timeout: options.requestTimeoutMs,
      compression: { request: false, response: false },
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  /** A statement without result rows (DDL, INSERT … SELECT, ALTER). */
  async command(sql: string, params?: SqlParams, settings?: ClickHouseSettings): Promise<void> {
    await this.client.command({ query: bindParams(sql, params), clickhouse_settings: settings });
  }

  async rows<R extends Row = Row>(sql: string, params?: SqlParams): Promise<R[]> {
    const result = await this.client.query({ query: bindParams(sql, params), format: 'JSON' });
    const { meta, data } = (await result.json()) as unknown as JsonResult;
    const converters = meta.map(({ name, type }) => [name, converterFor(type)] as const);
    return data.map((row) => {
      const out: Row = {};
      for (const [name, convert] of converters) out[name] = row[name] === null ? null : convert(row[name]);
      return out as R;
    });
  }

  /** One INSERT … FORMAT JSONEachRow request (18.16 accepts the client's insert as is). */
  async insert(table: string, rows: readonly Row[], settings?: ClickHouseSettings): Promise<void> {
    if (rows.length === 0) return;
    await this.client.insert({ table, values: rows as Row[], format: 'JSONEachRow', clickhouse_settings: settings });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

function converterFor(type: string): (value: unknown) => unknown {
  const bare = type.replace(/^(?:Nullable|LowCardinality)\((.*)\)$/, '$1').replace(/^(?:Nullable|LowCardinality)\((.*)\)$/, '$1');
  if (/^U?Int(64|128|256)$/.test(bare)) return (value) => Number(value);
  if (bare === 'Date') return (value) => `${String(value)}T00:00:00.000Z`;
  if (/^DateTime\('(UTC|Etc\/UTC)'\)$/.test(bare)) return (value) => `${String(value).replace(' ', 'T')}.000Z`;
  return (value) => value;
}
