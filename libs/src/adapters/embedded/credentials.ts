/**
 * Embedded store credentials: StoreCredentialPort on DuckDB, by default in the order store's file
 * (data/central/orders.duckdb). Invariant: a key row is inserted once and only its expiry and
 * revocation ever change, each only towards "less valid" (earlier expiry, first revocation kept).
 */
import type { StoreCredentialPort, StoreCredentialRecord } from '../../ports/credentials.ts';
import { EmbeddedDb, type Row } from './db.ts';
import { applyMigrations, type Migration } from './order-store.ts';

const MIGRATIONS: readonly Migration[] = [
  {
    id: '001_store_credentials',
    sql: `
      CREATE TABLE store_credentials (
        key_id VARCHAR PRIMARY KEY,
        store_id VARCHAR NOT NULL,
        secret_hash VARCHAR NOT NULL,
        signing_key_enc VARCHAR NOT NULL,
        created_at VARCHAR NOT NULL,
        expires_at VARCHAR,
        revoked_at VARCHAR
      );`,
  },
];

const COLUMNS = 'key_id, store_id, secret_hash, signing_key_enc, created_at, expires_at, revoked_at';

export class EmbeddedStoreCredentials implements StoreCredentialPort {
  /** Takes over one reference of `db`; `close()` releases it. */
  constructor(private readonly db: EmbeddedDb) {}

  /** Opens (or shares) the DuckDB file at `path`, by default the order store's. Call `migrate()` next. */
  static async open(path: string): Promise<EmbeddedStoreCredentials> {
    return new EmbeddedStoreCredentials(await EmbeddedDb.acquire(path));
  }

  async migrate(): Promise<void> {
    await applyMigrations(this.db, 'store-credentials', MIGRATIONS);
  }

  async insert(record: StoreCredentialRecord): Promise<void> {
    await this.db.run(`INSERT INTO store_credentials (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      record.key_id, record.store_id, record.secret_hash, record.signing_key_enc, record.created_at, record.expires_at, record.revoked_at,
    ]);
  }

  async get(keyId: string): Promise<StoreCredentialRecord | undefined> {
    const rows = await this.db.all(`SELECT ${COLUMNS} FROM store_credentials WHERE key_id = $1`, [keyId]);
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
  }

  async listForStore(storeId: string): Promise<StoreCredentialRecord[]> {
    return (await this.db.all(`SELECT ${COLUMNS} FROM store_credentials WHERE store_id = $1 ORDER BY created_at, key_id`, [storeId])).map(fromRow);
  }

  async list(): Promise<StoreCredentialRecord[]> {
    return (await this.db.all(`SELECT ${COLUMNS} FROM store_credentials ORDER BY store_id, created_at, key_id`)).map(fromRow);
  }

  async expire(keyId: string, at: string): Promise<void> {
    await this.db.run('UPDATE store_credentials SET expires_at = $2 WHERE key_id = $1 AND (expires_at IS NULL OR expires_at > $2)', [keyId, at]);
  }

  async revoke(keyId: string, at: string): Promise<void> {
    await this.db.run('UPDATE store_credentials SET revoked_at = $2 WHERE key_id = $1 AND revoked_at IS NULL', [keyId, at]);
  }

  async close(): Promise<void> {
    await this.db.release();
  }
}

function fromRow(row: Row): StoreCredentialRecord {
  return {
    key_id: row.key_id as string,
    store_id: row.store_id as string,
    secret_hash: row.secret_hash as string,
    signing_key_enc: row.signing_key_enc as string,
    created_at: row.created_at as string,
    expires_at: (row.expires_at as string | null) ?? null,
    revoked_at: (row.revoked_at as string | null) ?? null,
  };
}
