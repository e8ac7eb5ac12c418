/**
 * grpc.health.v1 Check against a central endpoint, on the channel the shipper already opened (no second
 * connection). Central serves it (grpc-health-check) and turns `retailsync.v1.Ingest` NOT_SERVING as
 * soon as it starts closing, so a store leaves a draining replica before its stream is cut.
 */
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

/** The name central registers its Ship service under in grpc.health.v1 (central/src/ingest/grpc/server.ts). */
export const INGEST_HEALTH_SERVICE = 'retailsync.v1.Ingest';

/**
 * `unimplemented`: the endpoint has no health service (older central, test fakes); the stream itself
 * is then the only judge. `not_serving` covers NOT_SERVING, UNKNOWN and a service the server does not know.
 */
export type EndpointHealth = 'serving' | 'not_serving' | 'unimplemented';

type HealthClient = grpc.Client & {
  check(
    request: { service: string },
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: { status?: string }) => void,
  ): grpc.ClientUnaryCall;
};

const HealthClientConstructor = grpc.makeGenericClientConstructor(healthService as unknown as grpc.ServiceDefinition, 'Health');

/** A health client sharing `client`'s channel; it needs no close of its own (closing `client` ends both). */
export function healthClientOn(client: grpc.Client): HealthClient {
  return new HealthClientConstructor('unused:0', grpc.credentials.createInsecure(), { channelOverride: client.getChannel() }) as unknown as HealthClient;
}

/** Resolves with the endpoint's health; rejects with the gRPC error when the check itself fails (unreachable, deadline). */
export function checkHealth(health: HealthClient, timeoutMs: number, service = INGEST_HEALTH_SERVICE): Promise<EndpointHealth> {
  return new Promise((resolve, reject) => {
    health.check({ service }, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) => {
      if (error?.code === grpc.status.UNIMPLEMENTED) resolve('unimplemented');
      else if (error?.code === grpc.status.NOT_FOUND) resolve('not_serving');
      else if (error) reject(error);
      else resolve(response?.status === 'SERVING' ? 'serving' : 'not_serving');
    });
  });
}
