/**
 * Identity pool: lets identical store replicas each claim one shop (store id, timezone, credential,
 * buffer) exclusively, and take over a dead replica's shop so its buffer is drained.
 */
export { identityConfigShape } from './config.ts';
export { claimIdentity, identityDirs, type ClaimedIdentity, type ClaimOptions } from './pool.ts';
export { parseIdentitySpecs, provisionPool, SECRET_FILE, type IdentitySpec, type ProvisionResult } from './provision.ts';
export { poolStatus, type IdentityStatus } from './pool-status.ts';
export { readIdentity, type ClaimRecord, type StoreIdentity } from './identity-file.ts';
export { configForIdentity } from './claimed-config.ts';
