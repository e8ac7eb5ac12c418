/**
 * Store authentication, free of transport types: a store proves who it is with its id and a key that
 * covers that one store (`isStoreKeyValid`), and it must be a store the catalog knows. Every failure
 * reads the same to the caller (no hint which part was wrong); the log gets the detail.
 */
import { isStoreKeyValid } from '@retail-sync/libs/domain';
import type { Catalog } from '../../catalog/index.ts';

export interface StoreCredential {
  storeId: string | undefined;
  /** The `authorization` header value: `Bearer <key>`. */
  authorization: string | undefined;
}

export type AuthResult = { ok: true; storeId: string } | { ok: false; reason: string };

export function authenticateStore(credential: StoreCredential, secret: string, catalog: Pick<Catalog, 'store'>): AuthResult {
  const { storeId, authorization } = credential;
  if (!storeId) return { ok: false, reason: 'missing x-store-id' };
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) return { ok: false, reason: 'missing Bearer credential' };
  if (!isStoreKeyValid(secret, storeId, match[1]!)) return { ok: false, reason: 'key is not valid for this store' };
  if (!catalog.store(storeId)) return { ok: false, reason: 'store is not in the catalog' };
  return { ok: true, storeId };
}
