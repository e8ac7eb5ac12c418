/**
 * A fake of central's Ingest service for unit tests (127.0.0.1, port 0 or a given one): checks the
 * store credential like central does, records every event it receives (duplicates included) and acks
 * per event, in batch order. Knobs let a test drop acks, reject events, hold acks back, break the open
 * streams, or die in the middle of a stream. It also serves
 * grpc.health.v1 Check (counting the checks), and a test can turn it NOT_SERVING.
 */
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { isStoreKeyValid } from '@retail-sync/libs/domain';
import { ingestService, METADATA_AUTHORIZATION, METADATA_STORE_ID, type EventAck, type ShipAck, type ShipBatch, type WireSaleEvent } from '@retail-sync/libs/proto';

export interface FakeIngestOptions {
  secret: string;
  port?: number;
  /** Outcome per event; default ACCEPTED, DUPLICATE when its event_id was seen before. */
  outcome?: (event: WireSaleEvent, seenBefore: boolean) => EventAck['outcome'];
  /** Acks only the first n events of each batch (partial ack). */
  ackFirst?: number;
  /** Shuts the whole server down when this many batches have arrived, without acking the last one. */
  dieAfterBatches?: number;
  /** Serve grpc.health.v1 (default true); false makes Check answer UNIMPLEMENTED. */
  health?: boolean;
  /** Resolves when the ack of `batch` (the `index`-th received, from 0) may be written; acks still go out in order. */
  ackGate?: (batch: ShipBatch, index: number) => Promise<void>;
}

export class FakeIngestServer {
  /** Every event received, in arrival order, duplicates included. */
  readonly received: WireSaleEvent[] = [];
  readonly batches: ShipBatch[] = [];
  /** For each batch in `batches`, the number of the stream it came on (1, 2 …). */
  readonly batchStreams: number[] = [];
  readonly authFailures: string[] = [];
  /** grpc.health.v1 Check calls received. */
  healthChecks = 0;
  /** What Check answers for every service. */
  serving: 'SERVING' | 'NOT_SERVING' = 'SERVING';
  private readonly seen = new Set<string>();
  private readonly open = new Set<grpc.ServerDuplexStream<ShipBatch, ShipAck>>();
  private streams = 0;

  private constructor(
    private readonly server: grpc.Server,
    readonly port: number,
    private readonly options: FakeIngestOptions,
  ) {}

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  get distinctEventIds(): Set<string> {
    return new Set(this.received.map((event) => event.event_id));
  }

  static async start(options: FakeIngestOptions): Promise<FakeIngestServer> {
    const server = new grpc.Server();
    const ready: { fake?: FakeIngestServer } = {};
    server.addService(ingestService().service, {
      Ship: (call: grpc.ServerDuplexStream<ShipBatch, ShipAck>) => ready.fake!.handle(call),
    });
    if (options.health !== false) {
      server.addService(healthService as unknown as grpc.ServiceDefinition, {
        check: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<{ status: string }>) => {
          ready.fake!.healthChecks += 1;
          callback(null, { status: ready.fake!.serving });
        },
        watch: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
      });
    }
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    ready.fake = new FakeIngestServer(server, port, options);
    return ready.fake;
  }

  private handle(call: grpc.ServerDuplexStream<ShipBatch, ShipAck>): void {
    const storeId = String(call.metadata.get(METADATA_STORE_ID)[0] ?? '');
    const key = String(call.metadata.get(METADATA_AUTHORIZATION)[0] ?? '').replace(/^Bearer /, '');
    if (!storeId || !isStoreKeyValid(this.options.secret, storeId, key)) {
      this.authFailures.push(storeId);
      call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: 'invalid store credential' });
      return;
    }
    const stream = ++this.streams;
    this.open.add(call);
    let acksWritten: Promise<void> = Promise.resolve();
    call.on('data', (batch: ShipBatch) => {
      const index = this.batches.length;
      this.batches.push(batch);
      this.batchStreams.push(stream);
      this.received.push(...batch.events);
      if (this.options.dieAfterBatches !== undefined && this.batches.length >= this.options.dieAfterBatches) {
        this.server.forceShutdown();
        return;
      }
      const events = this.options.ackFirst === undefined ? batch.events : batch.events.slice(0, this.options.ackFirst);
      const acks: EventAck[] = events.map((event) => {
        const seenBefore = this.seen.has(event.event_id);
        this.seen.add(event.event_id);
        const outcome = this.options.outcome?.(event, seenBefore) ?? (seenBefore ? 'DUPLICATE' : 'ACCEPTED');
        return { event_id: event.event_id, seq: event.seq, outcome, reason_code: outcome === 'REJECTED' ? 'RS_ERR_INVALID_EVENT' : '', reason: '' };
      });
      const gate = this.options.ackGate;
      if (!gate) call.write({ batch_id: batch.batch_id, acks });
      else acksWritten = acksWritten.then(() => gate(batch, index)).then(() => void (this.open.has(call) && call.write({ batch_id: batch.batch_id, acks })));
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
    call.on('close', () => this.open.delete(call));
  }

  /** Ends every open Ship stream with UNAVAILABLE (the server keeps running); acks not yet written are lost. */
  breakStreams(): void {
    for (const call of this.open) {
      this.open.delete(call);
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'stream broken by the test' });
    }
  }

  async stop(): Promise<void> {
    this.server.forceShutdown();
  }
}
