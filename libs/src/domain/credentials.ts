/**
 * Store credentials. Development scheme: a store's key is HMAC-SHA256(secret, store_id), so central can
 * check a key without a key table and a key covers exactly one store; central accepts it only while
 * RS_DEV_DERIVED_KEYS is on (embedded default). Production scheme: keys issued and rotated per store
 * (central/src/ingest/store-credentials.ts), sent with their key id; helpers for both live here because
 * store and central must agree on them.
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

/**
 * Issued keys (the production scheme). The store holds a random secret; central keeps only a keyed hash
 * of it (gRPC bearer check) and, encrypted, the Kafka signing key below. The signing key is a one-way
 * function of the secret, so whoever reads central's key table cannot recover the bearer secret.
 */
export const STORE_KEY_ID_PATTERN = /^rsk_[0-9a-f]{16}$/;

/** The HMAC key a store signs its Kafka records with when it holds an issued secret. */
export function kafkaSigningKeyFor(secret: string): string {
  return createHmac('sha256', secret).update('retail-sync/kafka-signing/v1').digest('hex');
}

/** Whether an issued key authenticates at `now`: not revoked, not past its expiry. */
export function isCredentialActive(record: { expires_at: string | null; revoked_at: string | null }, now: Date): boolean {
  if (record.revoked_at !== null) return false;
  return record.expires_at === null || Date.parse(record.expires_at) > now.getTime();
}
