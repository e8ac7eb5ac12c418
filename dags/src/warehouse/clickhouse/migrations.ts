/**
 * Migration runner for ClickHouse: applies dags/sql/clickhouse/migrations/NNNN_name.sql in name order and
 * records each (version, checksum) in schema_migrations, so applying the set twice changes nothing and an
 * applied file that was edited stops the start with RS_ERR_MIGRATION_DRIFT (same contract as DuckDB's).
 * ClickHouse has no DDL transactions and its HTTP interface takes one statement per request, so a file is
 * split into statements and recorded only after all of them succeeded; every statement is written to be
 * re-runnable (IF NOT EXISTS, DROP … IF EXISTS before CREATE VIEW), so a run that failed half-way is
 * completed by the next one. Two runners migrating at once may both apply a file: harmless for the same
 * reason, and schema_migrations (ReplacingMergeTree by version) folds their two rows into one.
 */
import { pendingMigrations, splitStatements } from '@retail-sync/libs/migrations';
import type { Migration } from '../duckdb/migrations.ts';
import type { ClickHouseSession } from './clickhouse-session.ts';

export { readMigrations, type Migration } from '../duckdb/migrations.ts';
export { splitStatements } from '@retail-sync/libs/migrations';

const CREATE_SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    String,
  checksum   String,
  applied_at DateTime('UTC')
) ENGINE = ReplacingMergeTree ORDER BY version`;

/** Applies what is not applied yet; returns the versions it applied. */
export async function applyMigrations(session: ClickHouseSession, migrations: readonly Migration[]): Promise<string[]> {
  await session.command(CREATE_SCHEMA_MIGRATIONS);
  const recorded = await session.rows<{ version: string; checksum: string }>('SELECT version, any(checksum) AS checksum FROM schema_migrations GROUP BY version');
  const applied = new Map(recorded.map((row) => [row.version, row.checksum]));
  const done: string[] = [];
  for (const migration of pendingMigrations(migrations, applied)) {
    for (const statement of splitStatements(migration.sql)) await session.command(statement);
    await session.insert('schema_migrations', [{ version: migration.version, checksum: migration.checksum, applied_at: new Date().toISOString().slice(0, 19).replace('T', ' ') }]);
    done.push(migration.version);
  }
  return done;
}
