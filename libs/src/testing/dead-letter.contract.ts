/**
 * The DeadLetterPort contract: every guarantee its TSDoc makes, as one suite any adapter runs through
 * a factory. Each test gets a fresh, migrated adapter.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeadLetterPort } from '../ports/dead-letter.ts';
import { deadLetterFixture, type AdapterUnderTest } from './fixtures.ts';

export type DeadLetterFactory = () => Promise<AdapterUnderTest<DeadLetterPort>>;

export function describeDeadLetterContract(name: string, factory: DeadLetterFactory): void {
  describe(`DeadLetterPort contract: ${name}`, () => {
    let letters: DeadLetterPort;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ adapter: letters, cleanup } = await factory());
      await letters.migrate();
    });

    afterEach(async () => {
      await cleanup();
    });

    it('keeps a letter with its payload byte for byte', async () => {
      const letter = deadLetterFixture({ payload: '{ "odd" :\t"spacing", "ünïcode": "✓" }' });
      await letters.put(letter);
      expect(await letters.get(letter.id)).toEqual(letter);
      expect(await letters.get('no-such-letter')).toBeUndefined();
    });

    it('keeps letters without an event id or seq (unparseable envelopes)', async () => {
      const letter = deadLetterFixture({ id: 'ingest:nyc-001:abc', event_id: null, seq: null, trace_id: null, received_at: null, stage: 'ingest' });
      await letters.put(letter);
      expect(await letters.get(letter.id)).toEqual(letter);
    });

    it('upserts by id: the same event dead-lettered again updates its one letter', async () => {
      const letter = deadLetterFixture({ attempts: 1 });
      await letters.put(letter);
      await letters.put({ ...letter, attempts: 5, reason_code: 'RS_ERR_UNKNOWN_STORE', reason: 'store_id: unknown store' });
      const all = await letters.list();
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ id: letter.id, attempts: 5, reason_code: 'RS_ERR_UNKNOWN_STORE', reason: 'store_id: unknown store' });
    });

    it('lists by reason code, store and replay state, with a limit', async () => {
      const unknownProduct = deadLetterFixture({ seq: 1, created_at: '2026-03-08T10:00:00.000Z' });
      const invalid = deadLetterFixture({ seq: 2, reason_code: 'RS_ERR_INVALID_EVENT', created_at: '2026-03-08T10:00:01.000Z' });
      const otherStore = deadLetterFixture({ seq: 1, store_id: 'bos-001', created_at: '2026-03-08T10:00:02.000Z' });
      for (const letter of [unknownProduct, invalid, otherStore]) await letters.put(letter);
      await letters.markReplayed(otherStore.id, '2026-03-08T11:00:00.000Z');

      const ids = (list: Array<{ id: string }>) => list.map((letter) => letter.id).sort();
      expect(ids(await letters.list({ reasonCode: 'RS_ERR_UNKNOWN_PRODUCT' }))).toEqual(ids([unknownProduct, otherStore]));
      expect(ids(await letters.list({ storeId: 'nyc-001' }))).toEqual(ids([unknownProduct, invalid]));
      expect(ids(await letters.list({ reasonCode: 'RS_ERR_UNKNOWN_PRODUCT', includeReplayed: false }))).toEqual([unknownProduct.id]);
      expect(await letters.list()).toHaveLength(3);
      expect(await letters.list({ limit: 2 })).toHaveLength(2);
    });

    it('marks a letter replayed and keeps it for the audit trail', async () => {
      const letter = deadLetterFixture();
      await letters.put(letter);
      await letters.markReplayed(letter.id, '2026-03-08T12:00:00.000Z');
      expect(await letters.get(letter.id)).toEqual({ ...letter, replayed_at: '2026-03-08T12:00:00.000Z' });
    });

    it("lists a store's unreplayed seqs in order, leaving out replayed letters and other stores", async () => {
      const seven = deadLetterFixture({ seq: 7 });
      const three = deadLetterFixture({ seq: 3 });
      const replayed = deadLetterFixture({ seq: 5 });
      await letters.put(seven);
      await letters.put(three);
      await letters.put(replayed);
      await letters.put(deadLetterFixture({ seq: 4, store_id: 'bos-001' }));
      await letters.put(deadLetterFixture({ seq: null, id: 'ingest:nyc-001:x', event_id: null }));
      await letters.markReplayed(replayed.id, '2026-03-08T12:00:00.000Z');
      expect(await letters.seqsForStore('nyc-001')).toEqual([3, 7]);
      expect(await letters.seqsForStore('bos-001')).toEqual([4]);
      expect(await letters.seqsForStore('lon-001')).toEqual([]);
    });

    it('makes a replayed letter count again when its event is dead-lettered again', async () => {
      const letter = deadLetterFixture({ seq: 9 });
      await letters.put(letter);
      await letters.markReplayed(letter.id, '2026-03-08T12:00:00.000Z');
      expect(await letters.seqsForStore('nyc-001')).toEqual([]);
      await letters.put({ ...letter, attempts: 2 });
      expect(await letters.seqsForStore('nyc-001')).toEqual([9]);
      expect((await letters.get(letter.id))?.replayed_at).toBeNull();
    });

    it('migrates twice without touching stored letters', async () => {
      const letter = deadLetterFixture();
      await letters.put(letter);
      await letters.migrate();
      await letters.migrate();
      expect(await letters.get(letter.id)).toEqual(letter);
    });
  });
}
