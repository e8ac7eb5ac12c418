/**
 * gRPC transport of central ingest: retailsync.v1.Ingest/Ship (bidi, one stream per store) plus
 * grpc.health.v1, authenticating each stream and handing batches to the transport-free ingest core.
 */
export { startGrpcIngest, INGEST_SERVICE_NAME, type GrpcIngestOptions, type GrpcIngestServer } from './server.ts';
export { authenticateStore, type AuthResult, type StoreCredential } from './auth.ts';
export { serverCredentials, type ServerTlsFiles } from './tls.ts';
