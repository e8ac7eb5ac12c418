/**
 * What a store presents to central, for both transports: gRPC channel credentials (TLS when a central CA
 * is configured, plaintext otherwise; a client certificate for mutual TLS) and call metadata (store id,
 * key id, bearer secret), and the key its Kafka records are signed with.
 *
 * Two schemes: an issued key (RS_STORE_KEY + RS_STORE_KEY_ID, from `retail-sync credentials issue`), or —
 * without one — the derived dev key storeKeyFor(RS_STORE_KEY_SECRET, store_id), which central accepts
 * only while RS_DEV_DERIVED_KEYS is on. PEM files are read once here, so a wrong path fails at start.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { kafkaSigningKeyFor, storeKeyFor } from '@retail-sync/libs/domain';
import { METADATA_AUTHORIZATION, METADATA_STORE_ID, METADATA_STORE_KEY_ID } from '@retail-sync/libs/proto';

export interface StoreCredentialSettings {
  storeId: string;
  /** Dev scheme secret (RS_STORE_KEY_SECRET); used only without an issued key. */
  keySecret: string;
  /** Issued secret (RS_STORE_KEY) and its id (RS_STORE_KEY_ID); both or neither. */
  issued?: { keyId: string; secret: string };
  /** PEM CA that signed central's certificate (RS_CENTRAL_TLS_CA); set = TLS. */
  centralCaPath?: string;
  /** Client certificate for mutual TLS (RS_STORE_TLS_CERT / RS_STORE_TLS_KEY). */
  clientCert?: { certPath: string; keyPath: string };
}

export class ShipperCredentials {
  private readonly tls: { ca: Buffer; cert: Buffer | null; key: Buffer | null } | undefined;

  constructor(private readonly settings: StoreCredentialSettings) {
    if (settings.clientCert && !settings.centralCaPath) throw new Error('a client certificate needs RS_CENTRAL_TLS_CA (TLS) as well');
    this.tls = settings.centralCaPath
      ? {
          ca: readFileSync(settings.centralCaPath),
          cert: settings.clientCert ? readFileSync(settings.clientCert.certPath) : null,
          key: settings.clientCert ? readFileSync(settings.clientCert.keyPath) : null,
        }
      : undefined;
  }

  /** The derived dev key over plaintext: what `npm start` uses. */
  static devDerived(storeId: string, keySecret: string): ShipperCredentials {
    return new ShipperCredentials({ storeId, keySecret });
  }

  get scheme(): 'issued' | 'derived-dev' {
    return this.settings.issued ? 'issued' : 'derived-dev';
  }

  get tlsEnabled(): boolean {
    return this.tls !== undefined;
  }

  /** A fresh ChannelCredentials per client (grpc-js ties them to one channel's lifetime). */
  channel(): grpc.ChannelCredentials {
    if (!this.tls) return grpc.credentials.createInsecure();
    return grpc.credentials.createSsl(this.tls.ca, this.tls.key, this.tls.cert);
  }

  /** Metadata of one Ship stream. */
  metadata(): grpc.Metadata {
    const { storeId, issued, keySecret } = this.settings;
    const metadata = new grpc.Metadata();
    metadata.set(METADATA_STORE_ID, storeId);
    if (issued) metadata.set(METADATA_STORE_KEY_ID, issued.keyId);
    metadata.set(METADATA_AUTHORIZATION, `Bearer ${issued ? issued.secret : storeKeyFor(keySecret, storeId)}`);
    return metadata;
  }

  /** The HMAC key (and key id header) of the store's Kafka records. */
  kafkaSigning(): { key: string; keyId: string | undefined } {
    const { storeId, issued, keySecret } = this.settings;
    return issued ? { key: kafkaSigningKeyFor(issued.secret), keyId: issued.keyId } : { key: storeKeyFor(keySecret, storeId), keyId: undefined };
  }
}

/** The credentials the store config names (RS_STORE_KEY/_ID, RS_CENTRAL_TLS_CA, RS_STORE_TLS_CERT/_KEY). */
export function shipperCredentialsFrom(config: {
  RS_STORE_ID: string;
  RS_STORE_KEY_SECRET: string;
  RS_STORE_KEY?: string | undefined;
  RS_STORE_KEY_ID?: string | undefined;
  RS_CENTRAL_TLS_CA?: string | undefined;
  RS_STORE_TLS_CERT?: string | undefined;
  RS_STORE_TLS_KEY?: string | undefined;
}): ShipperCredentials {
  return new ShipperCredentials({
    storeId: config.RS_STORE_ID,
    keySecret: config.RS_STORE_KEY_SECRET,
    issued: config.RS_STORE_KEY && config.RS_STORE_KEY_ID ? { keyId: config.RS_STORE_KEY_ID, secret: config.RS_STORE_KEY } : undefined,
    centralCaPath: config.RS_CENTRAL_TLS_CA,
    clientCert: config.RS_STORE_TLS_CERT && config.RS_STORE_TLS_KEY ? { certPath: config.RS_STORE_TLS_CERT, keyPath: config.RS_STORE_TLS_KEY } : undefined,
  });
}
