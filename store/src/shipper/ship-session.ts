/**
 * One open Ship stream: writes batches, hands out each batch's ack by batch id (several batches may be
 * in flight; acks of batches the shipper gave up on are dropped), and turns every way a stream can die
 * (error status, server end, timeout, a failed health check) into one failure. The failure is an
 * AbortSignal, not a promise, so the shipper can wait on it once per idle poll without leaving a
 * reaction behind each time.
 */
import type * as grpc from '@grpc/grpc-js';
import type { ShipAck, ShipBatch } from '@retail-sync/libs/proto';
import { storeErrors } from '../errors.ts';

export class ShipSession {
  /** Batches sent whose ack is still wanted. */
  private readonly awaited = new Set<string>();
  /** Acks that arrived before anyone asked for them. */
  private readonly arrived = new Map<string, ShipAck>();
  private waiter: { batchId: string; resolve: (ack: ShipAck) => void; reject: (error: Error) => void } | undefined;
  private readonly dead = new AbortController();

  constructor(private readonly call: grpc.ClientDuplexStream<ShipBatch, ShipAck>) {
    call.on('data', (ack: ShipAck) => {
      if (!this.awaited.has(ack.batch_id)) return; // a batch given up on (or never sent): nothing to settle
      if (this.waiter?.batchId === ack.batch_id) this.waiter.resolve(ack);
      else this.arrived.set(ack.batch_id, ack);
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
    this.awaited.add(batch.batch_id);
    this.call.write(batch);
  }

  /** Drops interest in a sent batch: its ack, if it comes, is ignored. */
  forget(batchId: string): void {
    this.awaited.delete(batchId);
    this.arrived.delete(batchId);
  }

  /** The ack for the sent batch `batchId`; rejects on stream death or after `timeoutMs`. */
  ackFor(batchId: string, timeoutMs: number): Promise<ShipAck> {
    const arrived = this.arrived.get(batchId);
    if (arrived) {
      this.forget(batchId);
      return Promise.resolve(arrived);
    }
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
        this.forget(batchId);
      };
      this.waiter = {
        batchId,
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
