/**
 * Store credentials at central: issuing and rotating per-store keys, and verifying what a store presents
 * (a gRPC bearer, a Kafka record signature). Shared by gRPC ingest, the Kafka consumer and the admin API.
 *
 * At rest (StoreCredentialPort) a key is: secret_hash = HMAC-SHA256(hashKey, secret) and signing_key_enc =
 * AES-256-GCM(wrapKey, kafkaSigningKeyFor(secret)), both keys derived (HKDF) from RS_CREDENTIAL_PEPPER,
 * which lives in config, never in the database. Why HMAC and not scrypt: the secret is 256 random bits,
 * so a slow hash buys nothing against guessing, and every stream/record must verify cheaply. Why the
 * signing key is stored recoverably: HMAC verification needs the key itself. It is a one-way derivative
 * of the secret, so a leak of the table plus the pepper lets an attacker forge Kafka records of a store,
 * but never recover the bearer secret that opens a gRPC stream. (Ed25519 signatures would leave central
 * with public keys only, at ~50 µs per record; not done.)
 *
 * Dev scheme: when `devSecret` is set (RS_DEV_DERIVED_KEYS), a request WITHOUT a key id is checked
 * against storeKeyFor(devSecret, store_id), as before issued keys existed. Anyone who knows the dev
 * secret can then act as any store, which is why production turns it off by default.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { isCredentialActive, isStoreKeyValid, kafkaSigningKeyFor, storeKeyFor, STORE_KEY_ID_PATTERN } from '@retail-sync/libs/domain';
import type { StoreCredentialPort, StoreCredentialRecord } from '@retail-sync/libs/ports';

/** Development-only pepper: a real deployment sets its own RS_CREDENTIAL_PEPPER (and keeps it out of the database). */
export const DEV_CREDENTIAL_PEPPER = 'retail-sync-dev-credential-pepper';

export class CredentialCrypto {
  private readonly hashKey: Buffer;
  private readonly wrapKey: Buffer;

  constructor(pepper: string) {
    this.hashKey = Buffer.from(hkdfSync('sha256', pepper, '', 'retail-sync/secret-hash/v1', 32));
    this.wrapKey = Buffer.from(hkdfSync('sha256', pepper, '', 'retail-sync/signing-key-wrap/v1', 32));
  }

  hashSecret(secret: string): string {
    return createHmac('sha256', this.hashKey).update(secret).digest('hex');
  }

  /** Constant-time: does `secret` hash to `secretHash`? */
  matches(secret: string, secretHash: string): boolean {
    const given = Buffer.from(this.hashSecret(secret), 'hex');
    const stored = Buffer.from(secretHash, 'hex');
    return given.length === stored.length && timingSafeEqual(given, stored);
  }

  /** iv ‖ tag ‖ ciphertext, base64; the key id is authenticated data, so a ciphertext moved to another row fails. */
  wrap(signingKey: string, keyId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.wrapKey, iv).setAAD(Buffer.from(keyId));
    const body = Buffer.concat([cipher.update(signingKey, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** The signing key, or undefined when the ciphertext does not open under this pepper. */
  unwrap(wrapped: string, keyId: string): string | undefined {
    try {
      const raw = Buffer.from(wrapped, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', this.wrapKey, raw.subarray(0, 12)).setAAD(Buffer.from(keyId));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

export interface IssuedKey {
  key_id: string;
  store_id: string;
  /** Shown once; central keeps only its hash. */
  secret: string;
  created_at: string;
  expires_at: string | null;
}

/** Issues a new key for `storeId`; older keys stay valid. */
export async function issueStoreKey(port: Pick<StoreCredentialPort, 'insert'>, crypto: CredentialCrypto, storeId: string, now: Date): Promise<IssuedKey> {
  const keyId = `rsk_${randomBytes(8).toString('hex')}`;
  const secret = `rss_${randomBytes(32).toString('base64url')}`;
  const record: StoreCredentialRecord = {
    key_id: keyId,
    store_id: storeId,
    secret_hash: crypto.hashSecret(secret),
    signing_key_enc: crypto.wrap(kafkaSigningKeyFor(secret), keyId),
    created_at: now.toISOString(),
    expires_at: null,
    revoked_at: null,
  };
  await port.insert(record);
  return { key_id: keyId, store_id: storeId, secret, created_at: record.created_at, expires_at: null };
}

/** Issues a new key and lets every active older key of the store expire after `overlapMs` (time to redeploy the store). */
export async function rotateStoreKey(
  port: Pick<StoreCredentialPort, 'insert' | 'listForStore' | 'expire'>,
  crypto: CredentialCrypto,
  storeId: string,
  overlapMs: number,
  now: Date,
): Promise<{ issued: IssuedKey; expiring: Array<{ key_id: string; expires_at: string }> }> {
  const older = (await port.listForStore(storeId)).filter((key) => isCredentialActive(key, now));
  const issued = await issueStoreKey(port, crypto, storeId, now);
  const expiresAt = new Date(now.getTime() + overlapMs).toISOString();
  for (const key of older) await port.expire(key.key_id, expiresAt);
  return { issued, expiring: older.map((key) => ({ key_id: key.key_id, expires_at: key.expires_at !== null && key.expires_at < expiresAt ? key.expires_at : expiresAt })) };
}

export interface PresentedCredential {
  storeId: string;
  /** Absent: the dev derived scheme. */
  keyId: string | undefined;
  secret: string;
}

export type VerifyResult = { ok: true; storeId: string; keyId: string | null } | { ok: false; reason: string };

export interface StoreKeyVerifierOptions {
  /** Issued keys; without a port only the dev scheme can succeed. */
  port: Pick<StoreCredentialPort, 'get'> | undefined;
  crypto: CredentialCrypto;
  /** The dev secret when RS_DEV_DERIVED_KEYS is on, else undefined. */
  devSecret: string | undefined;
  /** How long a key looked up from the port is trusted before it is read again (revocation takes effect within it). */
  cacheTtlMs: number;
  now?: () => Date;
}

/**
 * Verifies presented credentials. Key rows are cached for `cacheTtlMs` (unknown ids too, so a flood of
 * made-up ids costs one read per id per TTL), so one check costs one HMAC, not a database read.
 */
export class StoreKeyVerifier {
  private readonly cache = new Map<string, { record: StoreCredentialRecord | undefined; until: number }>();
  private readonly now: () => Date;

  constructor(private readonly options: StoreKeyVerifierOptions) {
    this.now = options.now ?? (() => new Date());
  }

  get devKeysAllowed(): boolean {
    return this.options.devSecret !== undefined;
  }

  async verify(credential: PresentedCredential): Promise<VerifyResult> {
    const { storeId, keyId, secret } = credential;
    if (keyId === undefined) {
      if (this.options.devSecret === undefined) return { ok: false, reason: 'no key id, and derived dev keys are off (RS_DEV_DERIVED_KEYS=false)' };
      return isStoreKeyValid(this.options.devSecret, storeId, secret) ? { ok: true, storeId, keyId: null } : { ok: false, reason: 'derived dev key is not valid for this store' };
    }
    const record = await this.active(storeId, keyId);
    if (typeof record === 'string') return { ok: false, reason: record };
    if (!this.options.crypto.matches(secret, record.secret_hash)) return { ok: false, reason: `secret does not match key ${keyId}` };
    return { ok: true, storeId, keyId };
  }

  /** The key a Kafka record of `storeId` must be signed with, or why there is none. */
  async signingKey(storeId: string, keyId: string | undefined): Promise<{ key: string } | { reason: string }> {
    if (keyId === undefined) {
      if (this.options.devSecret === undefined) return { reason: 'no key id header, and derived dev keys are off (RS_DEV_DERIVED_KEYS=false)' };
      return { key: storeKeyFor(this.options.devSecret, storeId) };
    }
    const record = await this.active(storeId, keyId);
    if (typeof record === 'string') return { reason: record };
    const key = this.options.crypto.unwrap(record.signing_key_enc, keyId);
    return key === undefined ? { reason: `key ${keyId} cannot be decrypted with this RS_CREDENTIAL_PEPPER` } : { key };
  }

  /** Drops a cached key (after a revoke in this process; other replicas see it after the TTL). */
  forget(keyId: string): void {
    this.cache.delete(keyId);
  }

  private async active(storeId: string, keyId: string): Promise<StoreCredentialRecord | string> {
    if (!STORE_KEY_ID_PATTERN.test(keyId)) return 'malformed key id';
    const record = await this.lookup(keyId);
    if (!record) return `unknown key ${keyId}`;
    if (record.store_id !== storeId) return `key ${keyId} belongs to another store`;
    if (!isCredentialActive(record, this.now())) return `key ${keyId} is ${record.revoked_at !== null ? 'revoked' : 'expired'}`;
    return record;
  }

  private async lookup(keyId: string): Promise<StoreCredentialRecord | undefined> {
    const nowMs = Date.now();
    const cached = this.cache.get(keyId);
    if (cached && cached.until > nowMs) return cached.record;
    const record = await this.options.port?.get(keyId);
    if (this.cache.size > 10_000) this.cache.clear(); // bounded: made-up ids cannot grow it forever
    this.cache.set(keyId, { record, until: nowMs + this.options.cacheTtlMs });
    return record;
  }
}
