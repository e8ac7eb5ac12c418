/**
 * Server credentials of gRPC ingest from PEM files (RS_GRPC_TLS_CERT / _KEY / _CA). No files: plaintext,
 * the embedded default on loopback. A client CA turns on mutual TLS: a store must present a certificate
 * that CA signed, on top of its key (the key still decides which store it is).
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

export interface ServerTlsFiles {
  certPath: string;
  keyPath: string;
  /** CA that signs store client certificates; set = mutual TLS required. */
  clientCaPath?: string;
}

export function serverCredentials(tls: ServerTlsFiles | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const clientCa = tls.clientCaPath ? readFileSync(tls.clientCaPath) : null;
  return grpc.ServerCredentials.createSsl(clientCa, [{ cert_chain: readFileSync(tls.certPath), private_key: readFileSync(tls.keyPath) }], clientCa !== null);
}
