import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SaleEvent } from '@retail-sync/libs/domain';
import { DiskBuffer, nodeFileSystem } from '../buffer/index.ts';
import { captureLogger, makeTempDir } from '../testing/capture-logger.ts';
import { saleEvent } from '../testing/sale-factory.ts';
import { ReceiptIndex, receiptKey, RECEIPTS_FILE } from './receipt-index.ts';

const DAY = 86_400_000;
let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('receipts'));
});
afterEach(async () => cleanup());

async function openBoth(now: () => number = Date.now, maxKeys?: number) {
  const receipts = await ReceiptIndex.open(dir, { fs: nodeFileSystem, retentionMs: 7 * DAY, logger: captureLogger('silent').logger, now, maxKeys });
  const buffer = await DiskBuffer.open<SaleEvent>(dir, {
    segmentBytes: 2048,
    groupCommitWaitMs: 0,
    beforeSegmentDelete: (records) => receipts.persist(records.map((record) => record.payload)),
    onRecoveredRecord: (record) => receipts.remember(record.payload),
  });
  return { receipts, buffer };
}

async function appendSales(buffer: DiskBuffer<SaleEvent>, count: number): Promise<SaleEvent[]> {
  const events: SaleEvent[] = [];
  for (let i = 0; i < count; i++) await buffer.append([(seq) => (events.push(saleEvent('nyc-001', seq)), events.at(-1)!)]);
  return events;
}

describe('ReceiptIndex', () => {
  it('knows every receipt still in the buffer after a restart', async () => {
    const first = await openBoth();
    const events = await appendSales(first.buffer, 5);
    await first.buffer.close();
    const { receipts, buffer } = await openBoth();
    for (const event of events) expect(receipts.lookup(receiptKey(event.sale))).toMatchObject({ event_id: event.event_id, seq: event.seq });
    await buffer.close();
  });

  it('persists the keys of a segment before it is deleted, so a retry is still recognised after restart', async () => {
    const first = await openBoth();
    const events = await appendSales(first.buffer, 30);
    await first.buffer.ack(30);
    const persisted = (await readFile(join(dir, RECEIPTS_FILE), 'utf8')).trim().split('\n');
    expect(persisted.length).toBeGreaterThan(0);
    await first.buffer.close();

    const { receipts, buffer } = await openBoth();
    for (const event of events) expect(receipts.lookup(receiptKey(event.sale))?.event_id).toBe(event.event_id);
    await buffer.close();
  });

  it('forgets every key past the retention window, shipped or still buffered, and ignores a torn last line', async () => {
    const first = await openBoth();
    const events = await appendSales(first.buffer, 30);
    await first.buffer.ack(20);
    await first.buffer.close();
    await appendFile(join(dir, RECEIPTS_FILE), '{"k":"[\\"t1\\",');

    const sameWeek = await openBoth(() => Date.now() + 6 * DAY);
    expect(events.every((event) => sameWeek.receipts.lookup(receiptKey(event.sale)) !== undefined)).toBe(true);
    await sameWeek.buffer.close();

    const later = await openBoth(() => Date.now() + 8 * DAY);
    expect(events.filter((event) => later.receipts.lookup(receiptKey(event.sale)) !== undefined)).toEqual([]);
    expect(later.receipts.size).toBe(0);
    await later.buffer.close();
  });

  it('keeps at most maxKeys receipts in memory, forgetting the oldest first', async () => {
    const first = await openBoth(Date.now, 10);
    const events = await appendSales(first.buffer, 30);
    await first.buffer.ack(30);
    expect(first.receipts.size).toBe(10);
    await first.buffer.close();

    const { receipts, buffer } = await openBoth(Date.now, 10);
    expect(receipts.size).toBe(10);
    const known = events.filter((event) => receipts.lookup(receiptKey(event.sale)) !== undefined);
    expect(known).toEqual(events.slice(-10));
    await buffer.close();
  });

  it('drops a reservation whose append failed', async () => {
    const { receipts, buffer } = await openBoth();
    const failed = Promise.reject(new Error('fsync failed'));
    receipts.reserve('k', { event_id: 'e', seq: 1, at: Date.now() }, failed);
    await expect(receipts.lookup('k')!.durable).rejects.toThrow('fsync failed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(receipts.lookup('k')).toBeUndefined();
    await buffer.close();
  });
});
