/**
 * Migration runner: applies dags/sql/<dialect>/migrations/NNNN_name.sql in name order, each in its own
 * transaction together with its row in schema_migrations, so a migration is applied exactly once and
 * applying the set again changes nothing. Applied files are append-only: an edited one (checksum changed)
 * stops the start with RS_ERR_MIGRATION_DRIFT (libs/migrations, shared by every runner).
 */
import type { EmbeddedDb } from '@retail-sync/libs/embedded';
import { pendingMigrations, readMigrationFiles, type MigrationFile } from '@retail-sync/libs/migrations';

export type Migration = MigrationFile;

/** Reads dags/sql/<dialect>/migrations/NNNN_name.sql in name order. */
export function readMigrations(dir: string): Migration[] {
  return readMigrationFiles(dir, 'sql');
}

/** Applies what is not applied yet; returns the versions it applied. */
export async function applyMigrations(db: EmbeddedDb, migrations: readonly Migration[]): Promise<string[]> {
  await db.run('CREATE TABLE IF NOT EXISTS schema_migrations (version VARCHAR PRIMARY KEY, checksum VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)');
  const applied = new Map((await db.all<{ version: string; checksum: string }>('SELECT version, checksum FROM schema_migrations')).map((row) => [row.version, row.checksum]));
  const done: string[] = [];
  for (const migration of pendingMigrations(migrations, applied)) {
    const appliedNow = await db.transaction(async (tx) => {
      // Another holder of the same file may have applied it since we looked.
      const raced = await tx.allUnqueued('SELECT 1 FROM schema_migrations WHERE version = $version', { version: migration.version });
      if (raced.length > 0) return false;
      await tx.runUnqueued(migration.sql);
      await tx.runUnqueued('INSERT INTO schema_migrations VALUES ($version, $checksum, CAST($at AS TIMESTAMP))', {
        version: migration.version,
        checksum: migration.checksum,
        at: new Date().toISOString(),
      });
      return true;
    });
    if (appliedNow) done.push(migration.version);
  }
  return done;
}
