/**
 * One open Ship stream: writes batches, hands out acks in arrival order, and turns every way a stream
 * can die (error status, server end, timeout, a failed health check) into one failure. The failure is
 * an AbortSignal, not a promise, so the shipper can wait on it once per idle poll without leaving a
 * reaction behind each time.
 */
import type * as grpc from '@grpc/grpc-js';
import type { ShipAck, ShipBatch } from '@retail-sync/libs/proto';
import { storeErrors } from '../errors.ts';

export class ShipSession {
  private readonly acks: ShipAck[] = [];
  private waiter: { resolve: (ack: ShipAck) => void; reject: (error: Error) => void } | undefined;
  private readonly dead = new AbortController();

  constructor(private readonly call: grpc.ClientDuplexStream<ShipBatch, ShipAck>) {
    call.on('data', (ack: ShipAck) => {
      if (this.waiter) this.waiter.resolve(ack);
      else this.acks.push(ack);
    });
    call.on('error', (error: Error) => this.fail(error));
    call.on('end', () => this.fail(storeErrors.create('RS_ERR_CENTRAL_UNAVAILABLE', 'central closed the Ship stream')));
  }

  /** Aborts (reason = the failure) once the stream is dead. */
  get signal(): AbortSignal {
    return this.dead.signal;
  }

  /** Why the stream died; undefined while it is alive. */
  get failure(): Error | undefined {
    return this.dead.signal.aborted ? (this.dead.signal.reason as Error) : undefined;
  }

  /** Ends the stream for `error` (first failure wins); a waiting ackFor rejects with it. */
  fail(error: Error): void {
    if (this.dead.signal.aborted) return;
    this.dead.abort(error);
    this.waiter?.reject(error);
  }

  send(batch: ShipBatch): void {
    const failure = this.failure;
    if (failure) throw failure;
    this.call.write(batch);
  }

  /** The ack for `batchId` (stale acks of earlier batches are skipped); rejects on stream death or timeout. */
  async ackFor(batchId: string, timeoutMs: number): Promise<ShipAck> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ack = await this.nextAck(deadline - Date.now());
      if (ack.batch_id === batchId) return ack;
    }
  }

  private nextAck(timeoutMs: number): Promise<ShipAck> {
    const queued = this.acks.shift();
    if (queued) return Promise.resolve(queued);
    const failure = this.failure;
    if (failure) return Promise.reject(failure);
    return new Promise<ShipAck>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(storeErrors.create('RS_ERR_CENTRAL_UNAVAILABLE', `no ShipAck within ${timeoutMs} ms`));
      }, Math.max(0, timeoutMs));
      const settle = () => {
        clearTimeout(timer);
        this.waiter = undefined;
      };
      this.waiter = {
        resolve: (ack) => (settle(), resolve(ack)),
        reject: (error) => (settle(), reject(error)),
      };
    });
  }

  close(): void {
    this.fail(storeErrors.create('RS_ERR_CENTRAL_UNAVAILABLE', 'stream closed by the store'));
    this.call.end();
    this.call.cancel();
  }
}
