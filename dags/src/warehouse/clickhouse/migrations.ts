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
import { dagsErrors } from '../../errors.ts';
import type { Migration } from '../duckdb/migrations.ts';
import type { ClickHouseSession } from './clickhouse-session.ts';

export { readMigrations, type Migration } from '../duckdb/migrations.ts';

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
  for (const migration of migrations) {
    const checksum = applied.get(migration.version);
    if (checksum === migration.checksum) continue;
    if (checksum !== undefined) {
      throw dagsErrors.create('RS_ERR_MIGRATION_DRIFT', `migration ${migration.version} was edited after it was applied; add a new migration instead`);
    }
    for (const statement of splitStatements(migration.sql)) await session.command(statement);
    await session.insert('schema_migrations', [{ version: migration.version, checksum: migration.checksum, applied_at: new Date().toISOString().slice(0, 19).replace('T', ' ') }]);
    done.push(migration.version);
  }
  return done;
}

/**
 * Splits a SQL file on the semicolons that end statements, skipping those inside quotes and comments;
 * pieces holding only comments are dropped.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let hasCode = false;
  for (let i = 0; i < sql.length; i += 1) {
    const char = sql[i]!;
    if (char === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
    } else if (char === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 1;
    } else if (char === "'" || char === '"' || char === '`') {
      hasCode = true;
      for (i += 1; i < sql.length && sql[i] !== char; i += 1) if (sql[i] === '\\') i += 1;
    } else if (char === ';') {
      if (hasCode) statements.push(sql.slice(start, i).trim());
      start = i + 1;
      hasCode = false;
    } else if (!/\s/.test(char)) {
      hasCode = true;
    }
  }
  if (hasCode) statements.push(sql.slice(start).trim());
  return statements;
}
