/**
 * Store authentication, free of transport types: a store proves who it is with its id, a key id and the
 * key's secret (`authorization: Bearer <secret>`), or — only while derived dev keys are on — its id and
 * the derived dev key without a key id. The key must cover that one store, be active, and the store
 * must be in the catalog. Every failure reads the same to the caller (no hint which part was wrong);
 * the log gets the detail.
 */
import type { Catalog } from '../../catalog/index.ts';
import type { StoreKeyVerifier } from '../store-credentials.ts';

export interface StoreCredential {
  storeId: string | undefined;
  /** `x-store-key-id`; absent for the derived dev scheme. */
  keyId: string | undefined;
  /** The `authorization` header value: `Bearer <secret>`. */
  authorization: string | undefined;
}

export type AuthResult = { ok: true; storeId: string; keyId: string | null } | { ok: false; reason: string };

export async function authenticateStore(credential: StoreCredential, verifier: StoreKeyVerifier, catalog: Pick<Catalog, 'store'>): Promise<AuthResult> {
  const { storeId, keyId, authorization } = credential;
  if (!storeId) return { ok: false, reason: 'missing x-store-id' };
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) return { ok: false, reason: 'missing Bearer credential' };
  const verified = await verifier.verify({ storeId, keyId: keyId || undefined, secret: match[1]! });
  if (!verified.ok) return verified;
  if (!catalog.store(storeId)) return { ok: false, reason: 'store is not in the catalog' };
  return verified;
}
