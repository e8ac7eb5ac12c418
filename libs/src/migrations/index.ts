/**
 * What every migration runner shares (DuckDB and ClickHouse warehouses, the Cassandra keyspace): files
 * `NNN_name.<ext>` applied in name order, each identified by its name and SHA-256, and applied files
 * treated as append-only: an edited one stops the start (RS_ERR_MIGRATION_DRIFT) instead of leaving the
 * schema out of step with the code. How a file is applied and recorded stays with each engine's adapter
 * (transactions on DuckDB, re-runnable statements where DDL is not transactional).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commonErrors } from '../errors/index.ts';

export interface MigrationFile {
  /** File name without its extension, e.g. `0001_fact_sales_line`. */
  version: string;
  sql: string;
  /** SHA-256 (hex) of the file's text. */
  checksum: string;
}

export function checksumOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Reads the `<digits>_<name>.<extension>` files of `dir` in name order. */
export function readMigrationFiles(dir: string, extension: 'sql' | 'cql'): MigrationFile[] {
  const pattern = new RegExp(`^\\d{3,}_[a-z0-9_]+\\.${extension}$`);
  return readdirSync(dir)
    .filter((file) => pattern.test(file))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return { version: file.slice(0, -(extension.length + 1)), sql, checksum: checksumOf(sql) };
    });
}

/**
 * The files still to apply, given what is recorded as applied (version → checksum). Throws
 * RS_ERR_MIGRATION_DRIFT when an applied file's checksum changed.
 */
export function pendingMigrations<M extends MigrationFile>(files: readonly M[], applied: ReadonlyMap<string, string>): M[] {
  const pending: M[] = [];
  for (const file of files) {
    const recorded = applied.get(file.version);
    if (recorded === undefined) pending.push(file);
    else if (recorded !== file.checksum) {
      throw commonErrors.create('RS_ERR_MIGRATION_DRIFT', `migration ${file.version} was edited after it was applied (checksum ${recorded.slice(0, 12)}… is now ${file.checksum.slice(0, 12)}…); add a new migration instead`, {
        details: { version: file.version, applied_checksum: recorded, file_checksum: file.checksum },
      });
    }
  }
  return pending;
}

/**
 * Splits a SQL or CQL script on the semicolons that end statements and drops its comments (`--`, `//`,
 * block comments). Inside quotes ('…', "…", `…`) a backslash escapes the next character and a doubled
 * quote is literal, so neither ends the string. Statements come back trimmed; empty ones are dropped.
 */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  let index = 0;
  while (index < script.length) {
    const char = script[index]!;
    const pair = script.slice(index, index + 2);
    if (pair === '--' || pair === '//') {
      const end = script.indexOf('\n', index);
      index = end === -1 ? script.length : end;
    } else if (pair === '/*') {
      const end = script.indexOf('*/', index + 2);
      index = end === -1 ? script.length : end + 2;
    } else if (char === "'" || char === '"' || char === '`') {
      let end = index + 1;
      while (end < script.length) {
        if (script[end] === '\\') end += 2;
        else if (script[end] === char && script[end + 1] === char) end += 2;
        else if (script[end] === char) break;
        else end += 1;
      }
      current += script.slice(index, end + 1);
      index = end + 1;
    } else if (char === ';') {
      if (current.trim()) statements.push(current.trim());
      current = '';
      index += 1;
    } else {
      current += char;
      index += 1;
    }
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}
