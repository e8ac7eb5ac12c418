/** The store config of a claimed identity: its store id, buffer directory and issued key replace the fixed-shop keys. */
import type { StoreConfig } from '../config.ts';
import type { ClaimedIdentity } from './pool.ts';

export function configForIdentity(config: StoreConfig, claimed: ClaimedIdentity): StoreConfig {
  return {
    ...config,
    RS_STORE_ID: claimed.identity.store_id,
    RS_STORE_DATA_DIR: claimed.bufferDir,
    RS_STORE_KEY: claimed.issuedKey?.secret,
    RS_STORE_KEY_ID: claimed.issuedKey?.keyId,
  };
}
