import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clickHouseWarehouseOptionsSchema } from './config.ts';
import { readMigrations, splitStatements } from './migrations.ts';

describe('ClickHouse migration statements', () => {
  it('splits on statement-ending semicolons only, dropping comment-only pieces', () => {
    const sql = `-- header; with a semicolon
CREATE TABLE a (s String DEFAULT ';') ENGINE = Memory; /* block; comment */
INSERT INTO a VALUES ('it\\'s; fine');
-- trailing comment only;
`;
    expect(splitStatements(sql)).toEqual([
      "CREATE TABLE a (s String DEFAULT ';') ENGINE = Memory",
      "INSERT INTO a VALUES ('it\\'s; fine')",
    ]);
  });

  it('finds the five migrations, each a list of portable statements (no OR REPLACE, no DROP VIEW)', () => {
    const migrations = readMigrations(join(clickHouseWarehouseOptionsSchema.parse({}).sqlDir, 'migrations'));
    expect(migrations.map((migration) => migration.version)).toEqual(['0001_fact_sales_line', '0002_rollup_tables', '0003_analyst_views', '0004_engine_tables', '0005_reconcile_results']);
    const statements = migrations.flatMap((migration) => splitStatements(migration.sql));
    expect(statements.length).toBeGreaterThan(20);
    const code = statements.map((statement) => statement.replace(/--.*$/gm, ''));
    for (const statement of code) expect(statement).not.toMatch(/OR REPLACE|DROP VIEW|DateTime64|OVER\s*\(|allow_experimental/i);
  });
});
