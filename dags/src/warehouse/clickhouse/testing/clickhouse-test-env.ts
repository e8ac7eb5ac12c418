/**
 * Test databases on the project's shared ClickHouse (scripts/services up clickhouse; RS_CLICKHOUSE_URL
 * from `scripts/services env --export`). Every warehouse a test opens lives in its own `rs_test_<random>`
 * database, dropped by dropTestDatabases() after the file: other engineers use the same server.
 */
import { randomBytes } from 'node:crypto';
import { ClickHouseSession } from '../clickhouse-session.ts';
import { ClickHouseWarehouse } from '../clickhouse-warehouse.ts';
import type { ClickHouseWarehouseOptions } from '../config.ts';

/** Fails (never skips) when the server's address is missing. */
export function requireClickHouseUrl(): string {
  const url = process.env.RS_CLICKHOUSE_URL;
  if (!url) {
    throw new Error('RS_CLICKHOUSE_URL is not set: run `scripts/services up clickhouse` and `eval "$(scripts/services env --export)"` first');
  }
  return url;
}

const created = new Set<string>();

export function testDatabaseName(): string {
  const name = `rs_test_${randomBytes(6).toString('hex')}`;
  created.add(name);
  return name;
}

/** A warehouse on a fresh test database (not migrated yet). */
export function openTestWarehouse(options: Partial<ClickHouseWarehouseOptions> = {}): Promise<ClickHouseWarehouse> {
  return ClickHouseWarehouse.open({ url: requireClickHouseUrl(), database: testDatabaseName(), ...options });
}

/** A raw session on the server's default database, for checks below the port. */
export function adminSession(): ClickHouseSession {
  return new ClickHouseSession({ url: requireClickHouseUrl(), database: 'default', username: 'default', password: '', requestTimeoutMs: 60_000 });
}

export async function dropTestDatabases(): Promise<void> {
  const session = adminSession();
  try {
    for (const name of created) await session.command(`DROP DATABASE IF EXISTS ${name}`);
    created.clear();
  } finally {
    await session.close();
  }
}
