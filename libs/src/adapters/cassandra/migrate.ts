/**
 * Migration runner for the Cassandra keyspace: applies central/cql/NNN_name.cql in name order, each
 * once, and records every applied file with its SHA-256 in `<keyspace>.schema_migrations`. Applying twice
 * changes nothing; an applied file whose checksum changed is an error (RS_ERR_MIGRATION_DRIFT, libs/migrations).
 *
 * Cassandra DDL is not transactional: a file is recorded only after all of its statements ran, and its
 * statements are written re-runnable (IF NOT EXISTS), so a file that failed half way is simply rerun.
 * Concurrent schema changes from several coordinators can disagree, so runners take turns: in-process by
 * one promise per keyspace, across processes by a lightweight-transaction lease row with a TTL.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import cassandra from 'cassandra-driver';
import { commonErrors } from '../../errors/index.ts';
import { pendingMigrations, readMigrationFiles, splitStatements } from '../../migrations/index.ts';
import { type CassandraConfig, replicationCql } from './config.ts';
import { toAdapterError } from './errors.ts';
import { clientOptions, type CassandraSession } from './session.ts';

/** central/cql of this repository, resolved from this file (libs/src/adapters/cassandra/). */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../../../central/cql/', import.meta.url));

const LEASE_TTL_SECONDS = 120;
const LEASE_WAIT_MS = 180_000;

export interface MigrationFile {
  /** File name without `.cql`, e.g. `001_order_store`. */
  name: string;
  checksum: string;
  statements: string[];
}

/** Reads `NNN_name.cql` files of `dir` in name order. */
export function readMigrations(dir: string): MigrationFile[] {
  return readMigrationFiles(dir, 'cql').map((file) => ({ name: file.version, checksum: file.checksum, statements: splitStatements(file.sql) }));
}

/** Runs in flight per shared Client and keyspace (order store and dead letters migrate at the same start). */
const running = new WeakMap<CassandraSession, Map<string, Promise<string[]>>>();

/**
 * Creates the keyspace if missing, then applies the migrations not yet recorded; resolves with the names
 * applied now. Concurrent calls for one keyspace on one session share one run; other runners (other
 * processes) wait for the lease.
 */
export function migrateKeyspace(session: CassandraSession, config: CassandraConfig, migrationsDir = DEFAULT_MIGRATIONS_DIR): Promise<string[]> {
  const keyspace = config.RS_CASSANDRA_KEYSPACE;
  let runs = running.get(session);
  if (!runs) running.set(session, (runs = new Map()));
  const inFlight = runs.get(keyspace);
  if (inFlight) return inFlight;
  const run = Promise.resolve()
    .then(() => applyMigrations(session, config, readMigrations(migrationsDir)))
    .finally(() => runs.delete(keyspace));
  runs.set(keyspace, run);
  return run;
}

async function applyMigrations(session: CassandraSession, config: CassandraConfig, files: MigrationFile[]): Promise<string[]> {
  const ks = config.RS_CASSANDRA_KEYSPACE;
  await ddl(session, `CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = ${replicationCql(config.RS_CASSANDRA_REPLICATION)}`);
  await ddl(session, `CREATE TABLE IF NOT EXISTS ${ks}.schema_migrations (name text PRIMARY KEY, checksum text, applied_at timestamp)`);
  await ddl(session, `CREATE TABLE IF NOT EXISTS ${ks}.schema_migrations_lease (lease text PRIMARY KEY, owner text)`);

  const applied = await recorded(session, ks);
  if (files.every((file) => checkedApplied(applied, file))) return [];

  const owner = randomUUID();
  await takeLease(session, ks, owner);
  // The files are plain CQL without a keyspace, so they run on a short-lived Client bound to it.
  const bound = new cassandra.Client(clientOptions(config, ks));
  const appliedNow: string[] = [];
  try {
    await bound.connect().catch((error: unknown) => {
      throw toAdapterError(error, 'migrate connect');
    });
    const appliedUnderLease = await recorded(session, ks);
    for (const file of files) {
      if (checkedApplied(appliedUnderLease, file)) continue;
      for (const statement of file.statements) {
        await bound.execute(statement, [], { consistency: session.consistency }).catch((error: unknown) => {
          throw toAdapterError(error, `migrate ${file.name}`);
        });
        await waitForSchemaAgreement(bound);
      }
      await session.execute(`INSERT INTO ${ks}.schema_migrations (name, checksum, applied_at) VALUES (?, ?, ?)`, [file.name, file.checksum, new Date()], 'migrate', true);
      appliedNow.push(file.name);
    }
  } finally {
    await bound.shutdown().catch(() => undefined);
    await session
      .execute(`DELETE FROM ${ks}.schema_migrations_lease WHERE lease = 'migrate' IF owner = ?`, [owner], 'migrate unlock', false)
      .catch(() => undefined); // the TTL frees it anyway
  }
  return appliedNow;
}

async function recorded(session: CassandraSession, ks: string): Promise<Map<string, string>> {
  const rows = await session.readAll(`SELECT name, checksum FROM ${ks}.schema_migrations`, [], 'migrate');
  return new Map(rows.map((row) => [row.get('name') as string, row.get('checksum') as string]));
}

/** True when `file` is already applied; throws RS_ERR_MIGRATION_DRIFT when it was applied with other contents. */
function checkedApplied(applied: Map<string, string>, file: MigrationFile): boolean {
  return pendingMigrations([{ version: file.name, sql: '', checksum: file.checksum }], applied).length === 0;
}

async function takeLease(session: CassandraSession, ks: string, owner: string): Promise<void> {
  const deadline = Date.now() + LEASE_WAIT_MS;
  for (;;) {
    const result = await session.execute(
      `INSERT INTO ${ks}.schema_migrations_lease (lease, owner) VALUES ('migrate', ?) IF NOT EXISTS USING TTL ${LEASE_TTL_SECONDS}`,
      [owner],
      'migrate lock',
      false,
    );
    if (result.wasApplied()) return;
    if (Date.now() > deadline) throw commonErrors.create('RS_ERR_DEPENDENCY_UNAVAILABLE', `cassandra migrate: the migration lease of ${ks} is still held by another runner`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function ddl(session: CassandraSession, cql: string): Promise<void> {
  try {
    await session.client.execute(cql, [], { consistency: session.consistency });
  } catch (error) {
    throw toAdapterError(error, 'migrate');
  }
  await waitForSchemaAgreement(session.client);
}

/** The driver already waits up to maxSchemaAgreementWaitSeconds after DDL; this makes disagreement an error. */
async function waitForSchemaAgreement(client: InstanceType<typeof cassandra.Client>): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    // checkSchemaAgreement is public API (lib/metadata/index.js) but missing from the bundled typings.
    if (await (client.metadata as unknown as { checkSchemaAgreement(): Promise<boolean> }).checkSchemaAgreement()) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw commonErrors.create('RS_ERR_DEPENDENCY_UNAVAILABLE', 'cassandra migrate: nodes did not agree on the schema within 10 s');
}
