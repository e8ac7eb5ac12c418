/**
 * Store credentials (development scheme): a store's key is HMAC-SHA256(secret, store_id), so central can
 * check a key without a key table and a key covers exactly one store. Issued, rotated and hashed-at-rest
 * keys replace this scheme behind the same check (issue: trust at the edges).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const DEV_STORE_KEY_SECRET = 'retail-sync-dev-secret';

export function storeKeyFor(secret: string, storeId: string): string {
  return createHmac('sha256', secret).update(storeId).digest('hex');
}

/** Constant-time check that `key` is the key of `storeId`. */
export function isStoreKeyValid(secret: string, storeId: string, key: string): boolean {
  const expected = Buffer.from(storeKeyFor(secret, storeId), 'utf8');
  const given = Buffer.from(key, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}
