import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/capture-logger.ts';
import { readIdentity } from './identity-file.ts';
import { parseIdentitySpecs, provisionPool } from './provision.ts';

let pool: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir: pool, cleanup } = await makeTempDir('provision')));
afterEach(() => cleanup());

describe('parseIdentitySpecs', () => {
  it('reads <store_id>:<IANA timezone> entries', () => {
    expect(parseIdentitySpecs('nyc-001:America/New_York, tok-001:Asia/Tokyo')).toEqual([
      { storeId: 'nyc-001', timezone: 'America/New_York' },
      { storeId: 'tok-001', timezone: 'Asia/Tokyo' },
    ]);
  });

  it('refuses a missing or unknown timezone, a bad store id, a repeated store and an empty list with RS_ERR_IDENTITY_POOL_INVALID', () => {
    for (const bad of ['nyc-001', 'nyc-001:Mars/Olympus', 'bad id:Europe/London', 'nyc-001:UTC,nyc-001:UTC', ' , ']) {
      expect(() => parseIdentitySpecs(bad), bad).toThrow(expect.objectContaining({ code: 'RS_ERR_IDENTITY_POOL_INVALID' }));
    }
  });
});

describe('provisionPool', () => {
  it('writes one complete identity folder per shop and leaves existing ones (and their buffers) alone when run again', async () => {
    const specs = parseIdentitySpecs('nyc-001:America/New_York,lon-001:Europe/London');
    expect(await provisionPool(pool, specs)).toEqual({ created: ['nyc-001', 'lon-001'], existing: [] });
    expect(await readIdentity(join(pool, 'nyc-001'))).toEqual({ store_id: 'nyc-001', timezone: 'America/New_York', credential: { scheme: 'derived-dev' } });
    expect(await readdir(join(pool, 'lon-001', 'buffer'))).toEqual([]);

    const again = await provisionPool(pool, [...specs, { storeId: 'tok-001', timezone: 'Asia/Tokyo' }]);
    expect(again).toEqual({ created: ['tok-001'], existing: ['nyc-001', 'lon-001'] });
    expect((await readdir(pool)).sort()).toEqual(['lon-001', 'nyc-001', 'tok-001']);
  });

  it('refuses to redefine an existing shop with another timezone', async () => {
    await provisionPool(pool, parseIdentitySpecs('nyc-001:America/New_York'));
    await expect(provisionPool(pool, parseIdentitySpecs('nyc-001:Europe/London'))).rejects.toMatchObject({ code: 'RS_ERR_IDENTITY_POOL_INVALID' });
    expect(JSON.parse(await readFile(join(pool, 'nyc-001', 'identity.json'), 'utf8'))).toMatchObject({ timezone: 'America/New_York' });
  });

  it('keeps an issued secret out of identity.json, in a file the identity names', async () => {
    await provisionPool(pool, [{ storeId: 'nyc-001', timezone: 'America/New_York', issuedKey: { keyId: 'rsk_0123456789abcdef', secret: 'rss_secret-not-in-json' } }]);
    const identityText = await readFile(join(pool, 'nyc-001', 'identity.json'), 'utf8');
    expect(identityText).not.toContain('rss_secret-not-in-json');
    expect(JSON.parse(identityText)).toMatchObject({ credential: { scheme: 'issued', key_id: 'rsk_0123456789abcdef', secret_file: 'store-key' } });
    expect((await readFile(join(pool, 'nyc-001', 'store-key'), 'utf8')).trim()).toBe('rss_secret-not-in-json');
  });
});
