import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadLetterFixture, describeDeadLetterContract, storedSaleFixture } from '../../testing/index.ts';
import { EmbeddedDeadLetters } from './dead-letter.ts';
import { EmbeddedOrderStore } from './order-store.ts';

describeDeadLetterContract('embedded (DuckDB file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-dead-letters-'));
  const adapter = await EmbeddedDeadLetters.open(join(dir, 'orders.duckdb'));
  return {
    adapter,
    cleanup: async () => {
      await adapter.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('EmbeddedDeadLetters', () => {
  it('shares one file with the order store, each keeping its own migrations', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-dead-letters-'));
    try {
      const path = join(dir, 'orders.duckdb');
      const orders = await EmbeddedOrderStore.open(path);
      const letters = await EmbeddedDeadLetters.open(path);
      await orders.migrate();
      await letters.migrate();
      const sale = storedSaleFixture();
      const letter = deadLetterFixture();
      await orders.putSales([sale]);
      await letters.put(letter);
      await orders.close();
      expect(await letters.get(letter.id)).toEqual(letter);
      await letters.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
