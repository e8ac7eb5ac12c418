/**
 * Micro-batches order-store writes like a group commit: at most `maxInFlight` putSales run at once, and
 * sales handed in while they run wait and go out together in the next one (up to `maxBatch` each). Under
 * load the batches grow by themselves; when idle a sale goes out at the end of its event-loop turn.
 * Bigger batches matter because each putSales also writes its lookup rows and touched-date stamps, and
 * the driver coalesces a batch's statements into fewer socket writes. Each caller's promise settles with
 * its own batch, so a job still completes only after its own sale is durable.
 */
import { commonErrors, errorCode } from '@retail-sync/libs/errors';
import type { StoredSale } from '@retail-sync/libs/domain';
import type { OrderStorePort } from '@retail-sync/libs/ports';

interface PendingWrite {
  sale: StoredSale;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class SalesWriter {
  private pending: PendingWrite[] = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(
    private readonly orderStore: Pick<OrderStorePort, 'putSales'>,
    private readonly maxBatch: number,
    /** @default 2 */
    private readonly maxInFlight = 2,
  ) {
    if (maxBatch < 1 || maxInFlight < 1) throw new RangeError('maxBatch and maxInFlight must be at least 1');
  }

  write(sale: StoredSale): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ sale, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.pending.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.inFlight += 1;
      Promise.resolve()
        .then(() => this.orderStore.putSales(batch.map((write) => write.sale)))
        .then(
          () => batch.forEach((write) => write.resolve()),
          (error: unknown) => {
            // A write failure is the store's, not the sale's: retriable, unless the adapter said otherwise.
            const wrapped = errorCode(error)?.startsWith('RS_ERR_')
              ? error
              : commonErrors.create('RS_ERR_DEPENDENCY_UNAVAILABLE', `order store write failed: ${(error as Error).message}`, { cause: error });
            batch.forEach((write) => write.reject(wrapped));
          },
        )
        .finally(() => {
          this.inFlight -= 1;
          // What arrived meanwhile: a full batch goes now, the rest at the end of this turn.
          if (this.pending.length >= this.maxBatch) this.flush();
          else if (this.pending.length > 0) this.schedule();
        });
    }
  }
}
