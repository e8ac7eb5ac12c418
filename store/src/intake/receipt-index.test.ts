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

async function openBoth(now: () => number = Date.now) {
  const receipts = await ReceiptIndex.open(dir, { fs: nodeFileSystem, retentionMs: 7 * DAY, logger: captureLogger('silent').logger, now });
  const buffer = await DiskBuffer.open<SaleEvent>(dir, {
    segmentBytes: 2048,
    groupCommitWaitMs: 0,
    beforeSegmentDelete: (records) => receipts.persist(records.map((record) => record.payload)),
  });
  await receipts.rememberBuffered(buffer);
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

  it('forgets keys of shipped sales past the retention window and ignores a torn last line', async () => {
    const first = await openBoth();
    const events = await appendSales(first.buffer, 30);
    await first.buffer.ack(30);
    await first.buffer.close();
    await appendFile(join(dir, RECEIPTS_FILE), '{"k":"[\\"t1\\",');

    const later = await openBoth(() => Date.now() + 8 * DAY);
    const known = events.filter((event) => later.receipts.lookup(receiptKey(event.sale)) !== undefined);
    // Only the receipts still in the (newest, never deleted) segment remain known.
    const stillBuffered = (await later.buffer.readFrom(0, 1000, 1_000_000)).map((record) => record.payload.event_id);
    expect(known.map((event) => event.event_id)).toEqual(stillBuffered);
    expect(known.length).toBeLessThan(events.length);
    await later.buffer.close();
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
