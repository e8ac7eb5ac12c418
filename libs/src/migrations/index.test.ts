import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checksumOf, pendingMigrations, readMigrationFiles, splitStatements } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'rs-migrations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('migration files', () => {
  it('reads NNN_name files of one extension in name order with their checksums', () => {
    writeFileSync(join(dir, '002_second.sql'), 'SELECT 2;');
    writeFileSync(join(dir, '001_first.sql'), 'SELECT 1;');
    writeFileSync(join(dir, '003_other.cql'), 'SELECT 3;');
    writeFileSync(join(dir, 'notes.sql'), 'not a migration');
    const files = readMigrationFiles(dir, 'sql');
    expect(files.map((f) => f.version)).toEqual(['001_first', '002_second']);
    expect(files[0]!.checksum).toBe(checksumOf('SELECT 1;'));
  });

  it('lists what is not applied and refuses an applied file that was edited', () => {
    const files = [
      { version: '001_a', sql: 'x', checksum: checksumOf('x') },
      { version: '002_b', sql: 'y', checksum: checksumOf('y') },
    ];
    expect(pendingMigrations(files, new Map([['001_a', checksumOf('x')]])).map((f) => f.version)).toEqual(['002_b']);
    expect(pendingMigrations(files, new Map([['001_a', checksumOf('x')], ['002_b', checksumOf('y')]]))).toEqual([]);
    expect(() => pendingMigrations(files, new Map([['001_a', checksumOf('edited')]]))).toThrow(expect.objectContaining({ code: 'RS_ERR_MIGRATION_DRIFT' }));
  });
});

describe('splitStatements', () => {
  it('splits on statement-ending semicolons only, keeping quoted ones and dropping every comment', () => {
    const script = `-- header; with a semicolon
CREATE TABLE a (x String) ENGINE = Memory; /* block; comment */
INSERT INTO a VALUES ('it''s; fine'), ('back\\\\slash; \\' quote');
// cql comment;
SELECT "semi;colon", \`b;t\` FROM a;
-- trailing comment only`;
    expect(splitStatements(script)).toEqual([
      'CREATE TABLE a (x String) ENGINE = Memory',
      "INSERT INTO a VALUES ('it''s; fine'), ('back\\\\slash; \\' quote')",
      'SELECT "semi;colon", `b;t` FROM a',
    ]);
  });
});
