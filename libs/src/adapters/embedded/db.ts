/**
 * The embedded SQL engine (DuckDB) behind the embedded adapters. DuckDB allows one read-write process
 * per database file, so every adapter of one process shares one instance per file (opened once,
 * reference counted), and statements run one at a time through a queue: DuckDB's optimistic
 * concurrency would otherwise abort concurrent writers to the same rows.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';

export type SqlParams = DuckDBValue[] | Record<string, DuckDBValue>;
export type Row = Record<string, unknown>;

export class EmbeddedDb {
  private tail: Promise<unknown> = Promise.resolve();
  private refs = 1;

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  private static readonly open = new Map<string, Promise<EmbeddedDb>>();

  /** Opens (or shares) the database at `path`; ':memory:' gives a private in-memory one. */
  static async acquire(path: string): Promise<EmbeddedDb> {
    if (path === ':memory:') return EmbeddedDb.create(path);
    const key = resolve(path);
    const existing = EmbeddedDb.open.get(key);
    if (existing) {
      const db = await existing;
      db.refs += 1;
      return db;
    }
    const opening = EmbeddedDb.create(key);
    EmbeddedDb.open.set(key, opening);
    opening.catch(() => EmbeddedDb.open.delete(key));
    return opening;
  }

  private static async create(path: string): Promise<EmbeddedDb> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    return new EmbeddedDb(path, instance, connection);
  }

  /** Runs one statement (or a script without params). */
  async run(sql: string, params?: SqlParams): Promise<void> {
    await this.serial(() => this.connection.run(sql, params));
  }

  /** Runs a query and returns plain rows: BIGINT as number, DATE/TIMESTAMP as an ISO string
   *  (keep a column VARCHAR when callers want 'YYYY-MM-DD'). */
  async all<T extends Row = Row>(sql: string, params?: SqlParams): Promise<T[]> {
    return this.serial(async () => {
      const reader = await this.connection.runAndReadAll(sql, params);
      return reader.getRowObjectsJS().map((row) => normalizeRow(row) as T);
    });
  }

  /**
   * Runs `work` inside BEGIN … COMMIT with the connection held, so no other statement interleaves;
   * rolls back and rethrows on error. Commit is durable (DuckDB syncs its WAL on commit).
   */
  async transaction<T>(work: (tx: Pick<EmbeddedDb, 'runUnqueued' | 'allUnqueued'>) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      await this.connection.run('BEGIN TRANSACTION');
      try {
        const result = await work(this);
        await this.connection.run('COMMIT');
        return result;
      } catch (error) {
        await this.connection.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  /** Only for use inside `transaction`. */
  async runUnqueued(sql: string, params?: SqlParams): Promise<void> {
    await this.connection.run(sql, params);
  }

  /** Only for use inside `transaction`. */
  async allUnqueued<T extends Row = Row>(sql: string, params?: SqlParams): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(sql, params);
    return reader.getRowObjectsJS().map((row) => normalizeRow(row) as T);
  }

  /** Releases this holder's reference; the last one closes the file (checkpointing it). */
  async release(): Promise<void> {
    this.refs -= 1;
    if (this.refs > 0) return;
    EmbeddedDb.open.delete(this.path);
    await this.tail.catch(() => undefined);
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

function normalizeRow(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(row)) out[key] = normalizeValue(value);
  return out;
}

function normalizeValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(normalizeValue);
  return value;
}
