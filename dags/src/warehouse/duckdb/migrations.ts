/**
 * Migration runner: applies dags/sql/<dialect>/migrations/NNNN_name.sql in name order, each in its own
 * transaction together with its row in schema_migrations, so a migration is applied exactly once and
 * applying the set again changes nothing. Applied files are append-only: an edited one (checksum changed)
 * stops the start with RS_ERR_MIGRATION_DRIFT instead of leaving the schema out of step with the code.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmbeddedDb } from '@retail-sync/libs/embedded';
import { dagsErrors } from '../../errors.ts';

export interface Migration {
  version: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir: string): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return { version: file.replace(/\.sql$/, ''), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** Applies what is not applied yet; returns the versions it applied. */
export async function applyMigrations(db: EmbeddedDb, migrations: readonly Migration[]): Promise<string[]> {
  await db.run('CREATE TABLE IF NOT EXISTS schema_migrations (version VARCHAR PRIMARY KEY, checksum VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)');
  const applied = new Map((await db.all<{ version: string; checksum: string }>('SELECT version, checksum FROM schema_migrations')).map((row) => [row.version, row.checksum]));
  const done: string[] = [];
  for (const migration of migrations) {
    const checksum = applied.get(migration.version);
    if (checksum === migration.checksum) continue;
    if (checksum !== undefined) {
      throw dagsErrors.create('RS_ERR_MIGRATION_DRIFT', `migration ${migration.version} was edited after it was applied; add a new migration instead`);
    }
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
