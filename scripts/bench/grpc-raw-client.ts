/**
 * The gRPC stage's ceiling, run as its own process like the store it stands in for: a bare grpc-js
 * Ingest/Ship stream that sends the recorded batches (the very ones the store shipped) with the same
 * credential metadata, and waits for every ack. No buffer, no retry logic, no health checks.
 *   tsx grpc-raw-client.ts <port> <batches.jsonl> <store_id> <pipelined|one-in-flight>
 * pipelined: every batch written as fast as the stream takes it; one-in-flight: the next batch only
 * after the previous one's ack, as the store's shipper does.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { DEV_STORE_KEY_SECRET, storeKeyFor } from '@retail-sync/libs/domain';
import { ingestService, METADATA_AUTHORIZATION, METADATA_STORE_ID, type ShipAck, type ShipBatch, type WireSaleEvent } from '@retail-sync/libs/proto';

const [port, file, storeId, mode] = process.argv.slice(2) as [string, string, string, 'pipelined' | 'one-in-flight'];
const batches: ShipBatch[] = readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => {
    const batch = JSON.parse(line) as Omit<ShipBatch, 'events'> & { events: Array<Omit<WireSaleEvent, 'sale_json'> & { sale_json: string }> };
    return { ...batch, events: batch.events.map((event) => ({ ...event, sale_json: Buffer.from(event.sale_json, 'base64') })) };
  });

const { Client } = ingestService();
const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
const metadata = new grpc.Metadata();
metadata.set(METADATA_STORE_ID, storeId);
metadata.set(METADATA_AUTHORIZATION, `Bearer ${storeKeyFor(process.env.RS_STORE_KEY_SECRET ?? DEV_STORE_KEY_SECRET, storeId)}`);
const call = (client as unknown as { Ship(metadata: grpc.Metadata): grpc.ClientDuplexStream<ShipBatch, ShipAck> }).Ship(metadata);

let acked = 0;
let sent = 0;
await new Promise<void>((resolve, reject) => {
  call.on('error', reject);
  const sendNext = (): void => {
    while (sent < batches.length) {
      const more = call.write(batches[sent++]!);
      if (mode === 'one-in-flight') return;
      if (!more) {
        call.once('drain', sendNext);
        return;
      }
    }
  };
  call.on('data', () => {
    acked += 1;
    if (acked === batches.length) resolve();
    else if (mode === 'one-in-flight') sendNext();
  });
  sendNext();
});
call.end();
client.close();
