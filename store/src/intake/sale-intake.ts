/**
 * What intake does with the sales of one POST: check each on its own (a bad sale never sinks its
 * neighbours), answer POS retries with the original ids, and append the new ones to the buffer in ONE
 * append call, so they get consecutive seqs and share one fsync. Results are returned only after that
 * fsync: a sale reported "accepted" or "duplicate" is on disk.
 */
import { newEventId, newTraceId, parseSale, type FieldIssue, type Sale, type SaleEvent } from '@retail-sync/libs/domain';
import { withTrace, type Logger } from '@retail-sync/libs/log';
import type { DiskBuffer } from '../buffer/index.ts';
import { receiptKey, type ReceiptIndex } from './receipt-index.ts';
import { SaleEventJson, saleJson } from './sale-event-json.ts';

export type SaleResult =
  | { index: number; status: 'accepted'; event_id: string; seq: number }
  | { index: number; status: 'duplicate'; event_id: string; seq: number }
  | { index: number; status: 'rejected'; error: { code: 'RS_ERR_INVALID_EVENT' | 'RS_ERR_STORE_MISMATCH'; issues: FieldIssue[] } };

/** A sale the body parser already refused (a repeated key): it takes its verdict without being read. */
export class RejectedSale {
  constructor(readonly issues: FieldIssue[]) {}
}

export interface SaleIntakeDeps {
  storeId: string;
  buffer: DiskBuffer<SaleEvent>;
  receipts: ReceiptIndex;
  logger: Logger;
}

interface NewSale {
  index: number;
  key: string;
  eventId: string;
  traceId: string;
  /** Assigned by the append (0 until then). */
  seq: number;
  sale: Sale;
}

export class SaleIntake {
  constructor(private readonly deps: SaleIntakeDeps) {}

  /**
   * Accepts the sales of one request. Throws (for the whole request) RS_ERR_BUFFER_FULL,
   * RS_ERR_BUFFER_IO or RS_ERR_BUFFER_CLOSED from the buffer; then nothing of it was appended.
   */
  async accept(rawSales: readonly unknown[]): Promise<SaleResult[]> {
    const { storeId, buffer, receipts } = this.deps;
    const results = new Array<SaleResult>(rawSales.length);
    const fresh: NewSale[] = [];
    const freshByKey = new Map<string, NewSale>();
    const duplicates: { index: number; entry: { event_id: string; seq: number; durable?: Promise<void> } | NewSale }[] = [];
    const receivedAt = new Date().toISOString();

    rawSales.forEach((raw, index) => {
      const checked = this.check(raw, index);
      if ('status' in checked) {
        results[index] = checked;
        return;
      }
      const key = receiptKey(checked);
      const known = receipts.lookup(key);
      const inThisRequest = freshByKey.get(key);
      if (known) duplicates.push({ index, entry: known });
      else if (inThisRequest) duplicates.push({ index, entry: inThisRequest });
      else {
        const sale: NewSale = { index, key, eventId: newEventId(), traceId: newTraceId(), seq: 0, sale: checked };
        fresh.push(sale);
        freshByKey.set(key, sale);
      }
    });

    if (fresh.length > 0) {
      // Seqs are assigned inside appendJson() before it returns; the builders copy them into our sales.
      // Each record is the text of JSON.stringify(SaleEvent), built from parts (sale-event-json.ts).
      const records = new SaleEventJson(storeId, receivedAt);
      const durable = buffer.appendJson(
        fresh.map((sale) => (seq: number) => {
          sale.seq = seq;
          return records.record(sale.eventId, seq, sale.traceId, saleJson(sale.sale));
        }),
      );
      const at = Date.parse(receivedAt);
      receipts.reserveAll(
        fresh.map((sale) => ({ key: sale.key, entry: { event_id: sale.eventId, seq: sale.seq, at } })),
        durable,
      );
      await durable;
      // A child logger per sale costs more than the rest of intake: only when debug lines are wanted.
      const traced = this.deps.logger.isLevelEnabled('debug');
      for (const sale of fresh) {
        results[sale.index] = { index: sale.index, status: 'accepted', event_id: sale.eventId, seq: sale.seq };
        if (traced) {
          withTrace(this.deps.logger, sale.traceId, { event_id: sale.eventId, seq: sale.seq, terminal_id: sale.sale.terminal_id, receipt_no: sale.sale.receipt_no }).debug(
            'sale accepted',
          );
        }
      }
    }

    for (const { index, entry } of duplicates) {
      if ('eventId' in entry) {
        results[index] = { index, status: 'duplicate', event_id: entry.eventId, seq: entry.seq };
      } else {
        await entry.durable; // the original may still be in flight; report it only once it is on disk
        results[index] = { index, status: 'duplicate', event_id: entry.event_id, seq: entry.seq };
      }
    }
    return results;
  }

  /** A valid sale with this store's id, or the rejection naming each field. */
  private check(raw: unknown, index: number): Sale | SaleResult {
    const storeId = this.deps.storeId;
    if (raw instanceof RejectedSale) return { index, status: 'rejected', error: { code: 'RS_ERR_INVALID_EVENT', issues: raw.issues } };
    const isObject = typeof raw === 'object' && raw !== null && !Array.isArray(raw);
    const given = isObject ? (raw as { store_id?: unknown }).store_id : undefined;
    if (given !== undefined && given !== storeId) {
      return {
        index,
        status: 'rejected',
        error: { code: 'RS_ERR_STORE_MISMATCH', issues: [{ field: 'store_id', rule: `must be this store's id (${storeId}) or omitted` }] },
      };
    }
    const parsed = parseSale(isObject ? { ...(raw as object), store_id: storeId } : raw);
    if (!parsed.ok) return { index, status: 'rejected', error: { code: 'RS_ERR_INVALID_EVENT', issues: parsed.issues } };
    return parsed.sale;
  }
}
