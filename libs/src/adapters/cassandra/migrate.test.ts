import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../migrations/index.ts';
import { DEFAULT_MIGRATIONS_DIR, readMigrations } from './migrate.ts';

describe('splitStatements', () => {
  it('splits on semicolons, dropping line and block comments', () => {
    const script = `-- header; with a semicolon\nCREATE TABLE a (id text PRIMARY KEY);\n/* block; comment */\n// another; one\nCREATE TABLE b (id int PRIMARY KEY) ;\n`;
    expect(splitStatements(script)).toEqual(['CREATE TABLE a (id text PRIMARY KEY)', 'CREATE TABLE b (id int PRIMARY KEY)']);
  });

  it('keeps semicolons and doubled quotes inside string literals', () => {
    expect(splitStatements("INSERT INTO t (id, note) VALUES ('a', 'it''s; -- fine');")).toEqual(["INSERT INTO t (id, note) VALUES ('a', 'it''s; -- fine')"]);
  });

  it('keeps a last statement without a semicolon', () => {
    expect(splitStatements('SELECT 1 FROM t')).toEqual(['SELECT 1 FROM t']);
  });
});

describe('readMigrations', () => {
  it('reads central/cql in name order with a checksum per file', () => {
    const files = readMigrations(DEFAULT_MIGRATIONS_DIR);
    expect(files.map((file) => file.name)).toEqual(['001_order_store', '002_dead_letters', '003_store_credentials']);
    for (const file of files) {
      expect(file.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(file.statements.length).toBeGreaterThan(0);
      // Re-runnable: the runner reruns a file that failed half way.
      for (const statement of file.statements) expect(statement).toMatch(/^CREATE (TABLE|TYPE) IF NOT EXISTS /);
    }
  });
});
