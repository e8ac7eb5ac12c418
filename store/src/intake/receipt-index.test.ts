import fc from 'fast-check';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SaleEvent } from '@retail-sync/libs/domain';
import { DiskBuffer, nodeFileSystem, type AckedSegment } from '../buffer/index.ts';
import { captureLogger, makeTempDir } from '../testing/capture-logger.ts';
import { saleEvent } from '../testing/sale-factory.ts';
import { newEventId } from '@retail-sync/libs/domain';
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
    beforeSegmentDelete: (segment) => receipts.persistSegment(segment),
    onRecoveredRecord: (record) => receipts.remember(record.payload),
  });
  return { receipts, buffer };
}

/** Intake's way in (sale-intake.ts): the key is reserved with the append, so the index learns the seq before any read. */
async function acceptSales(receipts: ReceiptIndex, buffer: DiskBuffer<SaleEvent>, events: SaleEvent[]): Promise<void> {
  for (const event of events) {
    const durable = buffer.append([(seq) => ((event.seq = seq), event)]);
    receipts.reserveAll([{ key: receiptKey(event.sale), entry: { event_id: event.event_id, seq: event.seq, at: Date.parse(event.received_at) } }], durable);
    await durable;
  }
  await new Promise((resolve) => setImmediate(resolve)); // the reservations settle into durable keys
}

/**
 * The same sales accepted into a store whose index persists deleted segments through `persistSegment`
 * and into one that persists them from the records read back (how every segment was persisted before):
 * returns both receipts.log files, both indexes reopened, and how often the first read a segment.
 */
async function persistBothWays(events: SaleEvent[], maxKeys: number | undefined, ackUpTo: number) {
  const ways = [
    (receipts: ReceiptIndex, count: () => void) => (segment: AckedSegment<SaleEvent>) =>
      receipts.persistSegment({ ...segment, records: () => (count(), segment.records()) }),
    (receipts: ReceiptIndex) => async (segment: AckedSegment<SaleEvent>) => receipts.persist((await segment.records()).map((record) => record.payload)),
  ];
  const results = [];
  for (const way of ways) {
    const temp = await makeTempDir('receipts-way');
    try {
      const options = { fs: nodeFileSystem, retentionMs: 7 * DAY, logger: captureLogger('silent').logger, maxKeys };
      const receipts = await ReceiptIndex.open(temp.dir, options);
      let segmentReads = 0;
      const buffer = await DiskBuffer.open<SaleEvent>(temp.dir, { segmentBytes: 2048, groupCommitWaitMs: 0, beforeSegmentDelete: way(receipts, () => (segmentReads += 1)) });
      await acceptSales(receipts, buffer, structuredClone(events));
      await buffer.ack(ackUpTo);
      await buffer.close();
      const file = await readFile(join(temp.dir, RECEIPTS_FILE), 'utf8');
      const reopened = await ReceiptIndex.open(temp.dir, options); // receipts.log alone, as after a restart with the buffer gone
      const known = events.map((event) => reopened.lookup(receiptKey(event.sale)));
      results.push({ file, known: known.map((entry) => entry && { event_id: entry.event_id, seq: entry.seq, at: entry.at }), size: reopened.size, segmentReads });
    } finally {
      await temp.cleanup();
    }
  }
  return { fromMemory: results[0]!, fromRecords: results[1]! };
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

  it('keeps the newest maxKeys keys like an insertion-ordered map would, through re-adds, growth and odd ids (model)', async () => {
    const ops = fc.array(fc.record({ key: fc.integer({ min: 0, max: 2_500 }), odd: fc.boolean() }), { minLength: 1_200, maxLength: 4_000 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(1, 7, 1_100, 1_500), ops, async (maxKeys, added) => {
        const receipts = await ReceiptIndex.open(dir, { fs: nodeFileSystem, retentionMs: 7 * DAY, logger: captureLogger('silent').logger, maxKeys });
        const model = new Map<string, { event_id: string; seq: number }>();
        const now = new Date().toISOString();
        added.forEach(({ key, odd }, seq) => {
          const event = saleEvent('nyc-001', seq + 1);
          event.sale.receipt_no = `R${key}`;
          event.received_at = now;
          event.event_id = odd ? `odd-${seq}` : newEventId();
          receipts.remember(event);
          const name = receiptKey(event.sale);
          model.delete(name);
          model.set(name, { event_id: event.event_id, seq: event.seq });
          if (model.size > maxKeys) model.delete(model.keys().next().value!);
        });
        expect(receipts.size).toBe(model.size);
        for (const [name, entry] of model) expect(receipts.lookup(name)).toMatchObject(entry);
        for (let key = 0; key <= 2_500; key += 97) {
          const name = receiptKey({ terminal_id: 't1', receipt_no: `R${key}`, type: 'sale' });
          if (!model.has(name)) expect(receipts.lookup(name)).toBeUndefined();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('persists a deleted segment from memory, without reading it, to the very receipts.log its records would give', async () => {
    const receivedAt = new Date().toISOString();
    const events = Array.from({ length: 40 }, (_, i) => {
      const event = saleEvent('nyc-001', i + 1);
      event.received_at = receivedAt;
      if (i % 7 === 3) event.sale.terminal_id = `t"\\é-${i}`; // keys that need escaping in the line
      if (i === 5) event.event_id = `odd-id-${i}`; // kept exact, not as UUID bytes
      return event;
    });
    const { fromMemory, fromRecords } = await persistBothWays(events, undefined, 40);
    expect(fromMemory.segmentReads).toBe(0);
    expect(fromMemory.file.length).toBeGreaterThan(0);
    expect(fromMemory.file).toBe(fromRecords.file);
    expect(fromMemory.known).toEqual(fromRecords.known);
    expect(fromMemory.size).toBe(fromRecords.size);
    expect(fromMemory.known.filter((entry) => entry !== undefined).length).toBeGreaterThan(20);
  });

  it('reads the segment when memory lacks some of its keys (evicted past maxKeys) and persists the same lines', async () => {
    const events = Array.from({ length: 40 }, (_, i) => saleEvent('nyc-001', i + 1));
    const { fromMemory, fromRecords } = await persistBothWays(events, 10, 40);
    expect(fromMemory.segmentReads).toBeGreaterThan(0);
    expect(fromMemory.file).toBe(fromRecords.file);
    expect(fromMemory.known).toEqual(fromRecords.known);
  });

  it('turns the reservations of an append into durable keys once it is on disk', async () => {
    const { receipts, buffer } = await openBoth();
    let durable!: () => void;
    const append = new Promise<void>((resolve) => (durable = resolve));
    const at = Date.now();
    receipts.reserveAll(
      [
        { key: 'a', entry: { event_id: newEventId(), seq: 1, at } },
        { key: 'b', entry: { event_id: newEventId(), seq: 2, at } },
      ],
      append,
    );
    const pending = receipts.lookup('b')!;
    expect(pending.seq).toBe(2);
    durable();
    await pending.durable;
    await new Promise((resolve) => setImmediate(resolve));
    expect(receipts.lookup('a')).toMatchObject({ seq: 1 });
    expect(receipts.lookup('b')).toMatchObject({ seq: 2, event_id: pending.event_id });
    expect(receipts.size).toBe(2);
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
