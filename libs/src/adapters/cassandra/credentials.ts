/**
 * Cassandra store credentials: StoreCredentialPort on the tables of central/cql/003_store_credentials.cql.
 * Invariant: a key row is inserted once (lightweight transaction, so a key id is never overwritten) and
 * then only moves towards "less valid": an earlier expiry, the first revocation. The by-store table holds
 * ids only; readers take each key from store_credentials.
 */
import type { StoreCredentialPort, StoreCredentialRecord } from '../../ports/credentials.ts';
import type { CassandraAdapterOptions, CassandraConfig } from './config.ts';
import { cassandraErrors } from './errors.ts';
import { migrateKeyspace } from './migrate.ts';
import { CassandraSession, type Row } from './session.ts';

const COLUMNS = ['key_id', 'store_id', 'secret_hash', 'signing_key_enc', 'created_at', 'expires_at', 'revoked_at'] as const;

export class CassandraStoreCredentials implements StoreCredentialPort {
  private readonly cql;

  /** Takes over one reference of `session`; `close()` releases it. */
  constructor(
    private readonly session: CassandraSession,
    private readonly config: CassandraConfig,
    private readonly options: CassandraAdapterOptions = {},
  ) {
    const ks = config.RS_CASSANDRA_KEYSPACE;
    this.cql = {
      insert: `INSERT INTO ${ks}.store_credentials (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) IF NOT EXISTS`,
      index: `INSERT INTO ${ks}.store_credentials_by_store (store_id, key_id) VALUES (?, ?)`,
      select: `SELECT ${COLUMNS.join(', ')} FROM ${ks}.store_credentials WHERE key_id = ?`,
      scan: `SELECT ${COLUMNS.join(', ')} FROM ${ks}.store_credentials`,
      idsOfStore: `SELECT key_id FROM ${ks}.store_credentials_by_store WHERE store_id = ?`,
      expire: `UPDATE ${ks}.store_credentials SET expires_at = ? WHERE key_id = ?`,
      revoke: `UPDATE ${ks}.store_credentials SET revoked_at = ? WHERE key_id = ?`,
    };
  }

  async migrate(): Promise<void> {
    await migrateKeyspace(this.session, this.config, this.options.migrationsDir);
  }

  async insert(record: StoreCredentialRecord): Promise<void> {
    // Lookup row first: an id without its key is skipped by readers, a key without its id is unlisted.
    await this.session.execute(this.cql.index, [record.store_id, record.key_id], 'credentials.insert', true);
    const result = await this.session.execute(this.cql.insert, COLUMNS.map((column) => record[column]), 'credentials.insert', false);
    if (result.rows[0]?.get('[applied]') === false) {
      throw cassandraErrors.create('RS_ERR_CASSANDRA_REJECTED', `store credential ${record.key_id} already exists; key ids are never reused`);
    }
  }

  async get(keyId: string): Promise<StoreCredentialRecord | undefined> {
    const rows = await this.session.readAll(this.cql.select, [keyId], 'credentials.get');
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
  }

  async listForStore(storeId: string): Promise<StoreCredentialRecord[]> {
    const ids = (await this.session.readAll(this.cql.idsOfStore, [storeId], 'credentials.list')).map((row) => row.get('key_id') as string);
    const keys: StoreCredentialRecord[] = [];
    for (const id of ids) {
      const key = await this.get(id);
      if (key && key.store_id === storeId) keys.push(key);
    }
    return keys.sort(byCreation);
  }

  async list(): Promise<StoreCredentialRecord[]> {
    const keys = (await this.session.readAll(this.cql.scan, [], 'credentials.list')).map(fromRow);
    return keys.sort((a, b) => compare(a.store_id, b.store_id) || byCreation(a, b));
  }

  async expire(keyId: string, at: string): Promise<void> {
    const key = await this.get(keyId);
    if (!key || (key.expires_at !== null && key.expires_at <= at)) return;
    await this.session.execute(this.cql.expire, [at, keyId], 'credentials.expire', true);
  }

  async revoke(keyId: string, at: string): Promise<void> {
    const key = await this.get(keyId);
    if (!key || key.revoked_at !== null) return;
    await this.session.execute(this.cql.revoke, [at, keyId], 'credentials.revoke', true);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byCreation(a: StoreCredentialRecord, b: StoreCredentialRecord): number {
  return compare(a.created_at, b.created_at) || compare(a.key_id, b.key_id);
}

function fromRow(row: Row): StoreCredentialRecord {
  return {
    key_id: row.get('key_id') as string,
    store_id: row.get('store_id') as string,
    secret_hash: row.get('secret_hash') as string,
    signing_key_enc: row.get('signing_key_enc') as string,
    created_at: row.get('created_at') as string,
    expires_at: (row.get('expires_at') as string | null) ?? null,
    revoked_at: (row.get('revoked_at') as string | null) ?? null,
  };
}
