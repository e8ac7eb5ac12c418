/**
 * Cassandra dead letters: DeadLetterPort on the tables of central/cql/002_dead_letters.cql.
 * Invariant: one letter per id — dead-lettering an event again overwrites its letter (keeping the first
 * created_at) and makes it unreplayed again, so reconciliation still accounts for it. The lookup tables
 * by store and by reason hold ids only; every read checks the letter itself, so a lookup row left
 * behind by a changed reason or store (or a put that failed half way) is never shown.
 */
import type { DeadLetter, DeadLetterFilter, DeadLetterPort } from '../../ports/dead-letter.ts';
import type { CassandraAdapterOptions, CassandraConfig } from './config.ts';
import { migrateKeyspace } from './migrate.ts';
import { CassandraSession, type Row } from './session.ts';

const COLUMNS = ['id', 'event_id', 'store_id', 'seq', 'trace_id', 'stage', 'reason_code', 'reason', 'attempts', 'payload', 'received_at', 'created_at', 'replayed_at'] as const;
const READ_CONCURRENCY = 16;

export class CassandraDeadLetters implements DeadLetterPort {
  private readonly cql;

  /** Takes over one reference of `session`; `close()` releases it. */
  constructor(
    private readonly session: CassandraSession,
    private readonly config: CassandraConfig,
    private readonly options: CassandraAdapterOptions = {},
  ) {
    const ks = config.RS_CASSANDRA_KEYSPACE;
    this.cql = {
      // Nulls are bound as null on purpose: a letter is overwritten, so a cleared field must be cleared.
      upsert: `INSERT INTO ${ks}.dead_letters (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`,
      select: `SELECT ${COLUMNS.join(', ')} FROM ${ks}.dead_letters WHERE id = ?`,
      scan: `SELECT ${COLUMNS.join(', ')} FROM ${ks}.dead_letters`,
      markReplayed: `UPDATE ${ks}.dead_letters SET replayed_at = ? WHERE id = ?`,
      indexStore: `INSERT INTO ${ks}.dead_letters_by_store (store_id, id) VALUES (?, ?)`,
      unindexStore: `DELETE FROM ${ks}.dead_letters_by_store WHERE store_id = ? AND id = ?`,
      idsOfStore: `SELECT id FROM ${ks}.dead_letters_by_store WHERE store_id = ?`,
      indexReason: `INSERT INTO ${ks}.dead_letters_by_reason (reason_code, id) VALUES (?, ?)`,
      unindexReason: `DELETE FROM ${ks}.dead_letters_by_reason WHERE reason_code = ? AND id = ?`,
      idsOfReason: `SELECT id FROM ${ks}.dead_letters_by_reason WHERE reason_code = ?`,
    };
  }

  async migrate(): Promise<void> {
    await migrateKeyspace(this.session, this.config, this.options.migrationsDir);
  }

  async put(letter: DeadLetter): Promise<void> {
    const previous = await this.get(letter.id);
    // Lookup rows first: a lookup row without its letter is skipped by readers, a letter without one is invisible.
    await Promise.all([
      letter.store_id === null ? undefined : this.write(this.cql.indexStore, [letter.store_id, letter.id]),
      this.write(this.cql.indexReason, [letter.reason_code, letter.id]),
    ]);
    const row = { ...letter, created_at: previous?.created_at ?? letter.created_at };
    await this.write(this.cql.upsert, COLUMNS.map((column) => row[column]));
    await Promise.all([
      previous?.store_id != null && previous.store_id !== letter.store_id ? this.write(this.cql.unindexStore, [previous.store_id, letter.id]) : undefined,
      previous && previous.reason_code !== letter.reason_code ? this.write(this.cql.unindexReason, [previous.reason_code, letter.id]) : undefined,
    ]);
  }

  /** Ordered by created_at then id, like the embedded adapter. */
  async list(filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
    let letters: DeadLetter[];
    if (filter.reasonCode !== undefined) letters = await this.lettersOf(this.cql.idsOfReason, filter.reasonCode);
    else if (filter.storeId !== undefined) letters = await this.lettersOf(this.cql.idsOfStore, filter.storeId);
    else letters = (await this.session.readAll(this.cql.scan, [], 'deadLetters.list')).map(fromRow);
    const matching = letters
      .filter((letter) => filter.reasonCode === undefined || letter.reason_code === filter.reasonCode)
      .filter((letter) => filter.storeId === undefined || letter.store_id === filter.storeId)
      .filter((letter) => filter.includeReplayed !== false || letter.replayed_at === null)
      .sort((a, b) => compare(a.created_at, b.created_at) || compare(a.id, b.id));
    return filter.limit === undefined ? matching : matching.slice(0, filter.limit);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const rows = await this.session.readAll(this.cql.select, [id], 'deadLetters.get');
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
  }

  async markReplayed(id: string, at: string): Promise<void> {
    // An UPDATE would create a letter that never existed; letters are never deleted, so reading first is race-free.
    if ((await this.get(id)) === undefined) return;
    await this.write(this.cql.markReplayed, [at, id]);
  }

  async seqsForStore(storeId: string): Promise<number[]> {
    const letters = await this.lettersOf(this.cql.idsOfStore, storeId);
    const seqs = new Set<number>();
    for (const letter of letters) {
      if (letter.store_id === storeId && letter.seq !== null && letter.replayed_at === null) seqs.add(letter.seq);
    }
    return [...seqs].sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    await this.session.release();
  }

  private write(cql: string, params: unknown[]): Promise<unknown> {
    return this.session.execute(cql, params, 'deadLetters.put', true);
  }

  private async lettersOf(idsCql: string, key: string): Promise<DeadLetter[]> {
    const ids = (await this.session.readAll(idsCql, [key], 'deadLetters.list')).map((row) => row.get('id') as string);
    const letters: DeadLetter[] = [];
    await CassandraSession.forEachConcurrently(ids, READ_CONCURRENCY, async (id) => {
      const letter = await this.get(id);
      if (letter) letters.push(letter);
    });
    return letters;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function fromRow(row: Row): DeadLetter {
  const seq = row.get('seq') as unknown;
  return {
    id: row.get('id') as string,
    event_id: (row.get('event_id') as string | null) ?? null,
    store_id: (row.get('store_id') as string | null) ?? null,
    seq: seq === null || seq === undefined ? null : Number(String(seq)),
    trace_id: (row.get('trace_id') as string | null) ?? null,
    stage: row.get('stage') as DeadLetter['stage'],
    reason_code: row.get('reason_code') as string,
    reason: row.get('reason') as string,
    attempts: row.get('attempts') as number,
    payload: row.get('payload') as string,
    received_at: (row.get('received_at') as string | null) ?? null,
    created_at: row.get('created_at') as string,
    replayed_at: (row.get('replayed_at') as string | null) ?? null,
  };
}
