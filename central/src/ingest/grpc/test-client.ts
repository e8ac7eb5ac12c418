/** A tiny Ship client for tests: opens one stream, sends batches, collects acks and the final status. */
import * as grpc from '@grpc/grpc-js';
import { ingestService, type ShipAck, type ShipBatch } from '@retail-sync/libs/proto';

export interface ShipStream {
  /** Sends a batch and resolves with its ack (acks arrive in batch order). */
  send(batch: ShipBatch): Promise<ShipAck>;
  /** Resolves with the stream's final status (code 0 on a clean end). */
  status: Promise<grpc.StatusObject>;
  /** Half-closes the stream. */
  end(): void;
  close(): void;
}

export function openShipStream(port: number, credential: { storeId?: string; key?: string; keyId?: string } = {}): ShipStream {
  const { Client } = ingestService();
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  if (credential.storeId) metadata.set('x-store-id', credential.storeId);
  if (credential.key) metadata.set('authorization', `Bearer ${credential.key}`);
  if (credential.keyId) metadata.set('x-store-key-id', credential.keyId);
  const call = (client as unknown as { Ship(metadata: grpc.Metadata): grpc.ClientDuplexStream<ShipBatch, ShipAck> }).Ship(metadata);
  const waiting: Array<{ resolve: (ack: ShipAck) => void; reject: (error: Error) => void }> = [];
  call.on('data', (ack: ShipAck) => waiting.shift()?.resolve(ack));
  const status = new Promise<grpc.StatusObject>((resolve) => {
    call.on('status', resolve);
  });
  call.on('error', (error) => {
    for (const waiter of waiting.splice(0)) waiter.reject(error);
  });
  return {
    send(batch) {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        call.write(batch);
      });
    },
    status,
    end: () => call.end(),
    close: () => {
      call.cancel();
      client.close();
    },
  };
}
