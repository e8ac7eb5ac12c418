import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeOrderStoreContract, storedSaleFixture } from '../../testing/index.ts';
import { EmbeddedDb } from './db.ts';
import { applyMigrations, EmbeddedOrderStore } from './order-store.ts';

function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'rs-order-store-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

describeOrderStoreContract('embedded (DuckDB file)', async () => {
  const { dir, remove } = tempDir();
  const adapter = await EmbeddedOrderStore.open(join(dir, 'orders.duckdb'));
  return {
    adapter,
    cleanup: async () => {
      await adapter.close();
      remove();
    },
  };
});

describe('EmbeddedOrderStore', () => {
  it('keeps sales across a reopen of the file', async () => {
    const { dir, remove } = tempDir();
    try {
      const path = join(dir, 'orders.duckdb');
      const sale = storedSaleFixture();
      const first = await EmbeddedOrderStore.open(path);
      await first.migrate();
      await first.putSales([sale]);
      await first.close();
      const second = await EmbeddedOrderStore.open(path);
      await second.migrate();
      expect(await second.salesForStoreDay(sale.store_id, sale.business_date)).toEqual([sale]);
      await second.close();
    } finally {
      remove();
    }
  });

  it('records each applied migration once', async () => {
    const db = await EmbeddedDb.acquire(':memory:');
    try {
      const migrations = [{ id: '001_t', sql: 'CREATE TABLE t (x INTEGER)' }];
      expect(await applyMigrations(db, 'test', migrations)).toEqual(['001_t']);
      expect(await applyMigrations(db, 'test', migrations)).toEqual([]);
      const recorded = await db.all('SELECT component, id FROM schema_migrations');
      expect(recorded).toEqual([{ component: 'test', id: '001_t' }]);
    } finally {
      await db.release();
    }
  });

  it('rolls back a migration that fails, leaving it unrecorded', async () => {
    const db = await EmbeddedDb.acquire(':memory:');
    try {
      await expect(applyMigrations(db, 'test', [{ id: '001_bad', sql: 'CREATE TABLE u (x INTEGER); SELECT * FROM missing_table' }])).rejects.toThrow();
      expect(await db.all('SELECT id FROM schema_migrations')).toEqual([]);
      expect(await db.all("SELECT table_name FROM information_schema.tables WHERE table_name = 'u'")).toEqual([]);
    } finally {
      await db.release();
    }
  });
});
