/**
 * Micro-batches order-store writes: sales handed in within one turn of the event loop (the jobs a
 * consumer runs at once) go out as one putSales. Each caller's promise settles with its batch, so a
 * job still completes only after its own sale is durable.
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

  constructor(
    private readonly orderStore: Pick<OrderStorePort, 'putSales'>,
    private readonly maxBatch: number,
  ) {}

  write(sale: StoredSale): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ sale, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.orderStore.putSales(batch.map((write) => write.sale)).then(
        () => batch.forEach((write) => write.resolve()),
        (error: unknown) => {
          // A write failure is the store's, not the sale's: retriable, unless the adapter said otherwise.
          const wrapped = errorCode(error)?.startsWith('RS_ERR_')
            ? error
            : commonErrors.create('RS_ERR_DEPENDENCY_UNAVAILABLE', `order store write failed: ${(error as Error).message}`, { cause: error });
          batch.forEach((write) => write.reject(wrapped));
        },
      );
    }
  }
}
