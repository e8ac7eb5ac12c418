/**
 * The receiving end of the gRPC shipping stage: retailsync.v1.Ingest/Ship that acks every event
 * ACCEPTED at once (no queue behind it), plus grpc.health.v1 SERVING, which the store's shipper checks
 * before it uses an endpoint. Both senders (the store's shipper and the bare grpc-js client) ship to
 * it, and it times both the same way: first batch in → last expected ack written.
 */
import { writeFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { ingestService, type ShipAck, type ShipBatch } from '@retail-sync/libs/proto';

export interface SinkWindow {
  ms: number;
  batches: number;
}

export class ShipSink {
  private expected = 0;
  private received = 0;
  private batches = 0;
  private firstAt = 0;
  private record = false;
  private recorded: ShipBatch[] = [];
  private done: ((window: SinkWindow) => void) | undefined;

  private constructor(
    private readonly server: grpc.Server,
    readonly port: number,
  ) {}

  static async start(): Promise<ShipSink> {
    const server = new grpc.Server();
    const holder: { sink?: ShipSink } = {};
    server.addService(ingestService().service, { Ship: (call: grpc.ServerDuplexStream<ShipBatch, ShipAck>) => holder.sink!.handle(call) });
    server.addService(healthService as unknown as grpc.ServiceDefinition, {
      check: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<{ status: string }>) => callback(null, { status: 'SERVING' }),
      watch: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    holder.sink = new ShipSink(server, port);
    return holder.sink;
  }

  /** Resolves once `events` events were acked, with the time from the first batch; `record` keeps the batches. */
  expect(events: number, record = false): Promise<SinkWindow> {
    this.expected = events;
    this.received = 0;
    this.batches = 0;
    this.firstAt = 0;
    this.record = record;
    this.recorded = [];
    return new Promise((resolve) => (this.done = resolve));
  }

  /** The batches of the last recorded window, as JSON lines (sale_json in base64) for the bare client. */
  writeRecorded(path: string): number {
    writeFileSync(path, this.recorded.map((batch) => JSON.stringify({ ...batch, events: batch.events.map((event) => ({ ...event, sale_json: Buffer.from(event.sale_json).toString('base64') })) })).join('\n'));
    return this.recorded.length;
  }

  stop(): void {
    this.server.forceShutdown();
  }

  private handle(call: grpc.ServerDuplexStream<ShipBatch, ShipAck>): void {
    call.on('data', (batch: ShipBatch) => {
      if (this.firstAt === 0) this.firstAt = performance.now();
      if (this.record) this.recorded.push(batch);
      this.batches += 1;
      call.write({ batch_id: batch.batch_id, acks: batch.events.map((event) => ({ event_id: event.event_id, seq: event.seq, outcome: 'ACCEPTED', reason_code: '', reason: '' })) });
      this.received += batch.events.length;
      if (this.done && this.received >= this.expected) {
        const done = this.done;
        this.done = undefined;
        done({ ms: performance.now() - this.firstAt, batches: this.batches });
      }
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  }
}
