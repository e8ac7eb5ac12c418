/**
 * Store-credential port: per-store keys issued and rotated by an operator, kept at central without the
 * secret itself. A key covers exactly one store; a store may hold several at once (the overlap window of
 * a rotation). Nothing here ever holds the plain secret: `secret_hash` is a keyed one-way hash (central
 * checks a gRPC bearer against it) and `signing_key_enc` is the Kafka verification key encrypted at rest.
 */

export interface StoreCredentialRecord {
  /** Public identifier of the key (`rsk_…`), sent beside the secret (x-store-key-id). Unique. */
  key_id: string;
  store_id: string;
  /** Hex HMAC-SHA256(pepper, secret): verifies a presented secret, cannot recover it. */
  secret_hash: string;
  /** The Kafka signing key (derived one-way from the secret), AES-256-GCM encrypted under a key derived from the pepper. */
  signing_key_enc: string;
  created_at: string;
  /** After this instant the key no longer authenticates (rotation overlap end); null = no expiry. */
  expires_at: string | null;
  /** Set when an operator revoked the key: it stops authenticating at once (after the verifier's cache TTL). */
  revoked_at: string | null;
}

export interface StoreCredentialPort {
  /** Creates the table(s) if missing; idempotent. */
  migrate(): Promise<void>;
  /** Inserts a new key. Throws if `key_id` exists (key ids are random; a clash is a bug, never overwritten). */
  insert(record: StoreCredentialRecord): Promise<void>;
  /** The key with this id, or undefined. */
  get(keyId: string): Promise<StoreCredentialRecord | undefined>;
  /** Every key of one store (revoked and expired included), oldest first. */
  listForStore(storeId: string): Promise<StoreCredentialRecord[]>;
  /** Every key of every store, by store then created_at. */
  list(): Promise<StoreCredentialRecord[]>;
  /** Sets `expires_at` to `at` unless the key already expires earlier; no-op for an unknown id. */
  expire(keyId: string, at: string): Promise<void>;
  /** Sets `revoked_at` (keeps the first revocation time); no-op for an unknown id. */
  revoke(keyId: string, at: string): Promise<void>;
  close(): Promise<void>;
}

