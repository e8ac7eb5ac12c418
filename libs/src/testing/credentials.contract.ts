/**
 * The StoreCredentialPort contract: every guarantee its TSDoc makes, as one suite any adapter runs
 * through a factory. Each test gets a fresh, migrated adapter.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreCredentialPort, StoreCredentialRecord } from '../ports/credentials.ts';
import type { AdapterUnderTest } from './fixtures.ts';

export type StoreCredentialFactory = () => Promise<AdapterUnderTest<StoreCredentialPort>>;

export function credentialFixture(overrides: Partial<StoreCredentialRecord> = {}): StoreCredentialRecord {
  return {
    key_id: `rsk_${randomBytes(8).toString('hex')}`,
    store_id: 'nyc-001',
    secret_hash: randomBytes(32).toString('hex'),
    signing_key_enc: randomBytes(60).toString('base64'),
    created_at: '2026-03-08T10:00:00.000Z',
    expires_at: null,
    revoked_at: null,
    ...overrides,
  };
}

export function describeStoreCredentialContract(name: string, factory: StoreCredentialFactory): void {
  describe(`StoreCredentialPort contract: ${name}`, () => {
    let keys: StoreCredentialPort;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ adapter: keys, cleanup } = await factory());
      await keys.migrate();
    });

    afterEach(async () => {
      await cleanup();
    });

    it('keeps a key exactly as inserted and finds it by key id', async () => {
      const key = credentialFixture();
      await keys.insert(key);
      expect(await keys.get(key.key_id)).toEqual(key);
      expect(await keys.get('rsk_0000000000000000')).toBeUndefined();
    });

    it('lists the keys of one store oldest first, and all keys by store', async () => {
      const newer = credentialFixture({ created_at: '2026-03-09T10:00:00.000Z' });
      const older = credentialFixture({ created_at: '2026-03-08T10:00:00.000Z' });
      const other = credentialFixture({ store_id: 'bos-001' });
      for (const key of [newer, older, other]) await keys.insert(key);
      expect((await keys.listForStore('nyc-001')).map((key) => key.key_id)).toEqual([older.key_id, newer.key_id]);
      expect((await keys.list()).map((key) => key.key_id)).toEqual([other.key_id, older.key_id, newer.key_id]);
    });

    it('only ever moves an expiry earlier', async () => {
      const key = credentialFixture();
      await keys.insert(key);
      await keys.expire(key.key_id, '2026-03-10T00:00:00.000Z');
      await keys.expire(key.key_id, '2026-03-12T00:00:00.000Z');
      expect((await keys.get(key.key_id))?.expires_at).toBe('2026-03-10T00:00:00.000Z');
      await keys.expire(key.key_id, '2026-03-09T00:00:00.000Z');
      expect((await keys.get(key.key_id))?.expires_at).toBe('2026-03-09T00:00:00.000Z');
    });

    it('keeps the first revocation time, and ignores unknown key ids', async () => {
      const key = credentialFixture();
      await keys.insert(key);
      await keys.revoke(key.key_id, '2026-03-08T11:00:00.000Z');
      await keys.revoke(key.key_id, '2026-03-08T12:00:00.000Z');
      expect((await keys.get(key.key_id))?.revoked_at).toBe('2026-03-08T11:00:00.000Z');
      await keys.revoke('rsk_0000000000000000', '2026-03-08T12:00:00.000Z');
      await keys.expire('rsk_0000000000000000', '2026-03-08T12:00:00.000Z');
      expect(await keys.get('rsk_0000000000000000')).toBeUndefined();
    });

    it('refuses to overwrite an existing key id', async () => {
      const key = credentialFixture();
      await keys.insert(key);
      await expect(keys.insert({ ...key, secret_hash: 'f'.repeat(64) })).rejects.toThrow();
      expect((await keys.get(key.key_id))?.secret_hash).toBe(key.secret_hash);
    });
  });
}
