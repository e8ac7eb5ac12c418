/**
 * Embedded dead letters: DeadLetterPort on DuckDB, by default in the order store's file
 * (data/central/orders.duckdb). Invariant: one letter per id — dead-lettering the same event again
 * updates its letter and makes it unreplayed again, so reconciliation still accounts for it.
 */
import type { DeadLetter, DeadLetterFilter, DeadLetterPort } from '../../ports/dead-letter.ts';
import type { DuckDBValue } from '@duckdb/node-api';
import { EmbeddedDb, type Row } from './db.ts';
import { applyMigrations, type Migration } from './order-store.ts';

const MIGRATIONS: readonly Migration[] = [
  {
    id: '001_dead_letters',
    sql: `
      CREATE TABLE dead_letters (
        id VARCHAR PRIMARY KEY,
        event_id VARCHAR,
        store_id VARCHAR,
        seq BIGINT,
        trace_id VARCHAR,
        stage VARCHAR NOT NULL,
        reason_code VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        attempts INTEGER NOT NULL,
        payload VARCHAR NOT NULL,
        received_at VARCHAR,
        created_at VARCHAR NOT NULL,
        replayed_at VARCHAR
      );`,
  },
];

const COLUMNS = 'id, event_id, store_id, seq, trace_id, stage, reason_code, reason, attempts, payload, received_at, created_at, replayed_at';

export class EmbeddedDeadLetters implements DeadLetterPort {
  /** Takes over one reference of `db`; `close()` releases it. */
  constructor(private readonly db: EmbeddedDb) {}

  /** Opens (or shares) the DuckDB file at `path`, by default the order store's. Call `migrate()` next. */
  static async open(path: string): Promise<EmbeddedDeadLetters> {
    return new EmbeddedDeadLetters(await EmbeddedDb.acquire(path));
  }

  async migrate(): Promise<void> {
    await applyMigrations(this.db, 'dead-letters', MIGRATIONS);
  }

  async put(letter: DeadLetter): Promise<void> {
    // created_at keeps the first failure; everything else describes the latest one.
    await this.db.run(
      `INSERT INTO dead_letters (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (id) DO UPDATE SET
         event_id = excluded.event_id, store_id = excluded.store_id, seq = excluded.seq,
         trace_id = excluded.trace_id, stage = excluded.stage, reason_code = excluded.reason_code,
         reason = excluded.reason, attempts = excluded.attempts, payload = excluded.payload,
         received_at = excluded.received_at, replayed_at = excluded.replayed_at`,
      [
        letter.id, letter.event_id, letter.store_id, letter.seq, letter.trace_id, letter.stage,
        letter.reason_code, letter.reason, letter.attempts, letter.payload, letter.received_at,
        letter.created_at, letter.replayed_at,
      ],
    );
  }

  async list(filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
    const where: string[] = [];
    const params: DuckDBValue[] = [];
    if (filter.reasonCode !== undefined) {
      params.push(filter.reasonCode);
      where.push(`reason_code = $${params.length}`);
    }
    if (filter.storeId !== undefined) {
      params.push(filter.storeId);
      where.push(`store_id = $${params.length}`);
    }
    if (filter.includeReplayed === false) where.push('replayed_at IS NULL');
    let sql = `SELECT ${COLUMNS} FROM dead_letters`;
    if (where.length > 0) sql += ` WHERE ${where.join(' AND ')}`;
    sql += ' ORDER BY created_at, id';
    if (filter.limit !== undefined) {
      params.push(filter.limit);
      sql += ` LIMIT $${params.length}`;
    }
    return (await this.db.all(sql, params)).map(fromRow);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const rows = await this.db.all(`SELECT ${COLUMNS} FROM dead_letters WHERE id = $1`, [id]);
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
  }

  async markReplayed(id: string, at: string): Promise<void> {
    await this.db.run('UPDATE dead_letters SET replayed_at = $2 WHERE id = $1', [id, at]);
  }

  async seqsForStore(storeId: string): Promise<number[]> {
    const rows = await this.db.all<{ seq: number }>(
      'SELECT DISTINCT seq FROM dead_letters WHERE store_id = $1 AND seq IS NOT NULL AND replayed_at IS NULL ORDER BY seq',
      [storeId],
    );
    return rows.map((row) => row.seq);
  }

  async close(): Promise<void> {
    await this.db.release();
  }
}

function fromRow(row: Row): DeadLetter {
  return {
    id: row.id as string,
    event_id: (row.event_id as string | null) ?? null,
    store_id: (row.store_id as string | null) ?? null,
    seq: (row.seq as number | null) ?? null,
    trace_id: (row.trace_id as string | null) ?? null,
    stage: row.stage as DeadLetter['stage'],
    reason_code: row.reason_code as string,
    reason: row.reason as string,
    attempts: row.attempts as number,
    payload: row.payload as string,
    received_at: (row.received_at as string | null) ?? null,
    created_at: row.created_at as string,
    replayed_at: (row.replayed_at as string | null) ?? null,
  };
}
