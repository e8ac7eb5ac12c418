import { mkdtempSync, rmSync, writeFileSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedDb } from '@retail-sync/libs/embedded';
import { duckDbWarehouseOptionsSchema } from './config.ts';
import { applyMigrations, readMigrations } from './migrations.ts';

describe('migration runner', () => {
  let dir: string;
  let db: EmbeddedDb;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rs-dags-migrations-'));
    const source = join(duckDbWarehouseOptionsSchema.parse({}).sqlDir, 'migrations');
    for (const file of readdirSync(source)) copyFileSync(join(source, file), join(dir, file));
    db = await EmbeddedDb.acquire(':memory:');
  });

  afterEach(async () => {
    await db.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies every migration once and records it; a second pass applies nothing', async () => {
    const first = await applyMigrations(db, readMigrations(dir));
    expect(first).toEqual(['0001_fact_sales_line', '0002_rollup_tables', '0003_analyst_views', '0004_engine_tables', '0005_reconcile_results']);
    expect(await applyMigrations(db, readMigrations(dir))).toEqual([]);
    const recorded = await db.all<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(recorded.map((row) => row.version)).toEqual(first);
  });

  it('applies only the new file when one is added', async () => {
    await applyMigrations(db, readMigrations(dir));
    writeFileSync(join(dir, '0006_extra.sql'), '-- 0005 extra\nCREATE TABLE extra (x INTEGER);\n');
    expect(await applyMigrations(db, readMigrations(dir))).toEqual(['0006_extra']);
  });

  it('refuses to start when an applied migration was edited', async () => {
    await applyMigrations(db, readMigrations(dir));
    writeFileSync(join(dir, '0001_fact_sales_line.sql'), '-- edited\nSELECT 1;\n');
    await expect(applyMigrations(db, readMigrations(dir))).rejects.toMatchObject({ code: 'RS_ERR_MIGRATION_DRIFT' });
  });

  it('rolls a failing migration back whole and records nothing for it', async () => {
    writeFileSync(join(dir, '0006_broken.sql'), 'CREATE TABLE half_done (x INTEGER);\nSELECT * FROM no_such_table;\n');
    await expect(applyMigrations(db, readMigrations(dir))).rejects.toThrow(/no_such_table/);
    expect(await db.all("SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'")).toEqual([]);
    expect(await db.all("SELECT 1 FROM schema_migrations WHERE version = '0006_broken'")).toEqual([]);
  });
});
