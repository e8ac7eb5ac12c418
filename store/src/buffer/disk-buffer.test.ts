import { crc32c } from '@node-rs/crc32';
import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogger, ERROR_LEVEL, makeTempDir } from '../testing/capture-logger.ts';
import { DiskBuffer, segmentFileName, type DiskBufferOptions } from './disk-buffer.ts';
import { encodeRecord, encodeSegmentHeader, markCommit, RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES } from './record-format.ts';
import { TestingFileSystem } from './testing-file-system.ts';

interface Payload {
  n: number;
  text: string;
}

let dir: string;
let cleanup: () => Promise<void>;
const opened: DiskBuffer<Payload>[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('buffer'));
});

afterEach(async () => {
  for (const buffer of opened.splice(0)) await buffer.close().catch(() => undefined);
  await cleanup();
});

async function openBuffer(options: DiskBufferOptions<Payload> = {}): Promise<DiskBuffer<Payload>> {
  const buffer = await DiskBuffer.open<Payload>(dir, { groupCommitWaitMs: 1, ...options });
  opened.push(buffer);
  return buffer;
}

const payload = (n: number): Payload => ({ n, text: `sale ${n}` });
const builders = (from: number, count: number) => Array.from({ length: count }, (_, i) => () => payload(from + i));

async function readAll(buffer: DiskBuffer<Payload>, afterSeq = 0) {
  return buffer.readFrom(afterSeq, 1_000_000, Number.MAX_SAFE_INTEGER);
}

/** Start offsets of the records of a v2 segment file. */
function recordOffsets(bytes: Buffer): number[] {
  const offsets: number[] = [];
  for (let offset = SEGMENT_HEADER_BYTES; offset < bytes.length; offset += RECORD_HEADER_BYTES + (bytes.readUInt32LE(offset) & 0x7fffffff)) offsets.push(offset);
  return offsets;
}

/** One append (one write, one fsync) per record, so each record ends a write. */
async function appendOneByOne(buffer: DiskBuffer<Payload>, from: number, count: number): Promise<void> {
  for (let n = from; n < from + count; n++) await buffer.append(builders(n, 1));
}

async function segmentFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.startsWith('segment-')).sort();
}

describe('DiskBuffer', () => {
  it('appends, reads back in seq order and reads the same after a reopen', async () => {
    const buffer = await openBuffer();
    expect(await buffer.append(builders(1, 3))).toEqual([1, 2, 3]);
    expect(await buffer.append(builders(4, 2))).toEqual([4, 5]);
    const before = await readAll(buffer);
    expect(before.map((record) => [record.seq, record.payload])).toEqual([1, 2, 3, 4, 5].map((n) => [n, payload(n)]));
    await buffer.close();

    const reopened = await openBuffer();
    expect((await readAll(reopened)).map((record) => record.payload)).toEqual(before.map((record) => record.payload));
    expect(reopened.stats()).toMatchObject({ lastSeq: 5, ackedSeq: 0, records: 5, quarantined: 0, state: 'open' });
  });

  it('hands each builder the seq its record gets, gap-free across restarts', async () => {
    const buffer = await openBuffer();
    const seen: number[] = [];
    await buffer.append([(seq) => (seen.push(seq), payload(seq)), (seq) => (seen.push(seq), payload(seq))]);
    await buffer.close();
    const reopened = await openBuffer();
    const seqs = await reopened.append(builders(0, 3));
    expect(seen).toEqual([1, 2]);
    expect(seqs).toEqual([3, 4, 5]);
  });

  it('keeps seqs in call order when appends overlap', async () => {
    const buffer = await openBuffer();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => buffer.append(builders(i * 2, 2))));
    expect(results.flat()).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect((await readAll(buffer)).map((record) => record.payload.n)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('reads from a seq in the middle, bounded by record count and bytes', async () => {
    const buffer = await openBuffer();
    // ~300 KB: several sparse-index entries, so the read seeks rather than scanning from 0.
    for (let batch = 0; batch < 20; batch++) await buffer.append(builders(batch * 100 + 1, 100));
    expect((await buffer.readFrom(1234, 3, Number.MAX_SAFE_INTEGER)).map((record) => record.seq)).toEqual([1235, 1236, 1237]);
    const oneByBytes = await buffer.readFrom(10, 100, 1);
    expect(oneByBytes.map((record) => record.seq)).toEqual([11]);
    expect(await buffer.readFrom(2000, 10, 1_000_000)).toEqual([]);
  });

  it('shares one fsync among concurrent appends (group commit)', async () => {
    const fs = new TestingFileSystem();
    const buffer = await openBuffer({ fs, groupCommitWaitMs: 5 });
    await buffer.append(builders(0, 1)); // opens the first segment (its header has an fsync of its own)
    const before = fs.datasyncs;
    await Promise.all(Array.from({ length: 50 }, (_, i) => buffer.append(builders(i, 1))));
    expect(buffer.stats().lastSeq).toBe(51);
    expect(fs.datasyncs - before).toBe(1);
  });

  it('gathers appends that arrive during an fsync into the next one, without any wait', async () => {
    let releaseFirstSync!: () => void;
    const firstSyncHeld = new Promise<void>((resolve) => (releaseFirstSync = resolve));
    let syncs = 0;
    const fs = new TestingFileSystem({ beforeDatasync: () => (++syncs === 3 ? firstSyncHeld : Promise.resolve()) });
    const buffer = await openBuffer({ fs, groupCommitWaitMs: 0 });
    await buffer.append(builders(0, 1)); // syncs 1 and 2: the new segment's header, then the record
    const first = buffer.append(builders(1, 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const during = Array.from({ length: 20 }, (_, i) => buffer.append(builders(i + 2, 1)));
    releaseFirstSync();
    await Promise.all([first, ...during]);
    expect(fs.datasyncs).toBe(4);
    expect(buffer.stats().lastSeq).toBe(22);
  });

  it('resolves an append only after the fsync that covers it', async () => {
    let releaseSync!: () => void;
    const syncHeld = new Promise<void>((resolve) => (releaseSync = resolve));
    const fs = new TestingFileSystem({ beforeDatasync: () => syncHeld });
    const buffer = await openBuffer({ fs, groupCommitWaitMs: 0 });
    let resolved = false;
    const appended = buffer.append(builders(1, 1)).then((seqs) => ((resolved = true), seqs));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(resolved).toBe(false);
    expect(await buffer.readFrom(0, 10, 1_000_000)).toEqual([]);
    releaseSync();
    expect(await appended).toEqual([1]);
    expect(fs.datasyncs).toBe(2); // the new segment's header, then the record
  });

  it('cuts a torn tail and keeps every record before it', async () => {
    const buffer = await openBuffer();
    await buffer.append(builders(1, 5));
    await buffer.close();
    const segment = join(dir, segmentFileName(1));
    await truncate(segment, (await stat(segment)).size - 7);

    const { logger, lines } = captureLogger();
    const reopened = await openBuffer({ logger });
    expect((await readAll(reopened)).map((record) => record.payload.n)).toEqual([1, 2, 3, 4]);
    expect(reopened.stats()).toMatchObject({ lastSeq: 4, quarantined: 0 });
    expect(lines.some((line) => line.msg.includes('torn tail'))).toBe(true);
    // The torn record was never acknowledged, so its seq is free again.
    expect(await reopened.append(builders(5, 1))).toEqual([5]);
  });

  it('quarantines a record with a flipped payload bit, reports it and keeps the records after it', async () => {
    const buffer = await openBuffer();
    await appendOneByOne(buffer, 1, 5);
    await buffer.close();
    const segment = join(dir, segmentFileName(1));
    const bytes = await readFile(segment);
    bytes[recordOffsets(bytes)[2]! + RECORD_HEADER_BYTES + 3]! ^= 0x10; // third record's payload
    await writeFile(segment, bytes);

    const { logger, lines } = captureLogger();
    const reopened = await openBuffer({ logger });
    expect((await readAll(reopened)).map((record) => record.seq)).toEqual([1, 2, 4, 5]);
    expect(reopened.stats()).toMatchObject({ quarantined: 1, lostRecords: 1 });
    const errors = lines.filter((line) => line.level === ERROR_LEVEL);
    expect(errors.map((line) => line.msg)).toContain('damaged buffer bytes entered in quarantine.log');
    const quarantine = (await readFile(join(dir, 'quarantine.log'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(quarantine).toHaveLength(1);
    expect(quarantine[0]).toMatchObject({ segment: segmentFileName(1), lost_seqs: { first: 3, last: 3 }, reason: 'checksum mismatch' });
    expect(await reopened.append(builders(6, 1))).toEqual([6]);
    await reopened.close();

    // Damaged bytes stay in place and are recognised again: the next open neither re-enters nor loses anything.
    const again = await openBuffer();
    expect(again.stats()).toMatchObject({ quarantined: 1, lostRecords: 1, lastSeq: 6 });
    expect((await readAll(again)).map((record) => record.seq)).toEqual([1, 2, 4, 5, 6]);
    expect((await readFile(join(dir, 'quarantine.log'), 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  it('cuts damage inside the newest segment\'s last write as a torn write: none of it was acknowledged', async () => {
    const buffer = await openBuffer();
    await buffer.append(builders(1, 2));
    await buffer.append(builders(3, 3)); // one write: seqs 3, 4, 5
    await buffer.close();
    const segment = join(dir, segmentFileName(1));
    const bytes = await readFile(segment);
    bytes[recordOffsets(bytes)[3]! + RECORD_HEADER_BYTES + 1]! ^= 0x01; // seq 4, inside the last write
    await writeFile(segment, bytes);

    const { logger, lines } = captureLogger();
    const reopened = await openBuffer({ logger });
    expect((await readAll(reopened)).map((record) => record.seq)).toEqual([1, 2, 3]);
    expect(reopened.stats()).toMatchObject({ lastSeq: 3, quarantined: 0, lostRecords: 0 });
    expect(lines.find((line) => line.msg.includes('torn write'))).toMatchObject({ droppedRecords: 1 });
    expect(await reopened.append(builders(4, 1))).toEqual([4]);
  });

  it('never reuses the seq of a damaged last record of a sealed segment', async () => {
    const buffer = await openBuffer({ segmentBytes: 200 });
    await appendOneByOne(buffer, 1, 6);
    await buffer.close();
    const [first] = await segmentFiles();
    const bytes = await readFile(join(dir, first!));
    const lastInFirst = bytes.length - 2;
    bytes[lastInFirst]! ^= 0x01;
    await writeFile(join(dir, first!), bytes);

    const { logger, lines } = captureLogger();
    const reopened = await openBuffer({ segmentBytes: 200, logger });
    expect(reopened.stats()).toMatchObject({ lastSeq: 6, quarantined: 1, lostRecords: 1 });
    const seqs = (await readAll(reopened)).map((record) => record.seq);
    expect(seqs).toHaveLength(5);
    expect(await reopened.append(builders(7, 1))).toEqual([7]);
    expect(lines.filter((line) => line.msg.includes('missing'))).toEqual([]);
  });

  it('skips a damaged length field by finding the next good record', async () => {
    const buffer = await openBuffer();
    await appendOneByOne(buffer, 1, 4);
    await buffer.close();
    const segment = join(dir, segmentFileName(1));
    const bytes = await readFile(segment);
    bytes.writeUInt32LE(0x7ffffff0, recordOffsets(bytes)[1]!); // second record's length
    await writeFile(segment, bytes);

    const reopened = await openBuffer();
    expect((await readAll(reopened)).map((record) => record.seq)).toEqual([1, 3, 4]);
    expect(reopened.stats()).toMatchObject({ quarantined: 1, lostRecords: 1 });
  });

  it('quarantines a record damaged after open when the reader meets it, and keeps shipping past it', async () => {
    const buffer = await openBuffer();
    await appendOneByOne(buffer, 1, 5);
    const segment = join(dir, segmentFileName(1));
    const bytes = await readFile(segment);
    bytes[recordOffsets(bytes)[1]! + RECORD_HEADER_BYTES + 2]! ^= 0x40; // seq 2 rots on disk while the store runs
    await writeFile(segment, bytes);

    expect((await readAll(buffer)).map((record) => record.seq)).toEqual([1, 3, 4, 5]);
    expect(buffer.stats()).toMatchObject({ quarantined: 1, lostRecords: 1, state: 'open' });
    expect((await readAll(buffer)).map((record) => record.seq)).toEqual([1, 3, 4, 5]);
    await buffer.close();
    const reopened = await openBuffer();
    expect(reopened.stats()).toMatchObject({ quarantined: 1, lostRecords: 1 });
    expect((await readFile(join(dir, 'quarantine.log'), 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  it('tells beforeSegmentDelete that a segment with a quarantined record is not complete', async () => {
    const seen: Array<{ firstSeq: number; lastSeq: number; complete: boolean; seqs: number[] }> = [];
    const options: DiskBufferOptions<Payload> = {
      segmentBytes: 256,
      beforeSegmentDelete: async (segment) => void seen.push({ ...segment, seqs: (await segment.records()).map((record) => record.seq) }),
    };
    const first = await openBuffer(options);
    await appendOneByOne(first, 1, 30);
    await first.close();
    const segment = join(dir, segmentFileName(1));
    const bytes = await readFile(segment);
    bytes[recordOffsets(bytes)[1]! + RECORD_HEADER_BYTES + 2]! ^= 0x40; // seq 2 rots on disk
    await writeFile(segment, bytes);

    const buffer = await openBuffer(options);
    await buffer.ack(30);
    expect(seen[0]).toMatchObject({ firstSeq: 1, complete: false });
    expect(seen[0]!.seqs).not.toContain(2);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.slice(1).every((deleted) => deleted.complete && deleted.seqs.length === deleted.lastSeq - deleted.firstSeq + 1)).toBe(true);
  });

  it('deletes fully acked segments, keeps the newest, and resumes after the cursor on reopen', async () => {
    const deletedSeqs: number[] = [];
    const options: DiskBufferOptions<Payload> = {
      segmentBytes: 256,
      beforeSegmentDelete: async (segment) => {
        const seqs = (await segment.records()).map((record) => record.seq);
        expect(segment).toMatchObject({ firstSeq: seqs[0], lastSeq: seqs.at(-1), complete: true });
        deletedSeqs.push(...seqs);
      },
    };
    const buffer = await openBuffer(options);
    for (let n = 1; n <= 20; n++) await buffer.append(builders(n, 1));
    const filesBefore = await segmentFiles();
    expect(filesBefore.length).toBeGreaterThan(3);

    await buffer.ack(15);
    const filesAfter = await segmentFiles();
    expect(filesAfter.length).toBeLessThan(filesBefore.length);
    expect(deletedSeqs.length).toBeGreaterThan(0);
    expect(Math.max(...deletedSeqs)).toBeLessThanOrEqual(15);
    expect(deletedSeqs).toEqual(Array.from({ length: deletedSeqs.length }, (_, i) => i + 1));
    expect((await buffer.readFrom(15, 100, 1_000_000)).map((record) => record.seq)).toEqual([16, 17, 18, 19, 20]);
    await buffer.ack(20);
    expect(await segmentFiles()).toHaveLength(1);
    await buffer.close();

    const reopened = await openBuffer(options);
    expect(reopened.stats()).toMatchObject({ lastSeq: 20, ackedSeq: 20, records: 0, oldestUnackedAt: null });
    expect(await reopened.append(builders(21, 1))).toEqual([21]);
  });

  it('reports the append time of the oldest unacked record', async () => {
    const buffer = await openBuffer();
    const before = Date.now();
    await buffer.append(builders(1, 2));
    const oldest = buffer.stats().oldestUnackedAt;
    expect(oldest).not.toBeNull();
    expect(Date.parse(oldest!)).toBeGreaterThanOrEqual(before);
    await buffer.ack(2);
    expect(buffer.stats().oldestUnackedAt).toBeNull();
  });

  it('rejects appends past the size cap with RS_ERR_BUFFER_FULL and loses nothing', async () => {
    const buffer = await openBuffer({ segmentBytes: 256, maxBytes: 1024 });
    let accepted = 0;
    let fullError: unknown;
    for (let n = 1; n <= 50 && !fullError; n++) {
      try {
        await buffer.append(builders(n, 1));
        accepted += 1;
      } catch (error) {
        fullError = error;
      }
    }
    expect(fullError).toMatchObject({ code: 'RS_ERR_BUFFER_FULL', retriable: true, httpStatus: 503 });
    expect(buffer.stats().bytes).toBeLessThanOrEqual(1024);
    expect((await readAll(buffer)).map((record) => record.seq)).toEqual(Array.from({ length: accepted }, (_, i) => i + 1));
    // Acking frees whole segments; the next append continues the seqs without a gap.
    await buffer.ack(accepted);
    expect(await buffer.append(builders(99, 1))).toEqual([accepted + 1]);
  });

  it('after a failed fsync acknowledges nothing and rejects every later append and ack', async () => {
    let failing = false;
    const { logger, lines } = captureLogger();
    const fs = new TestingFileSystem({ failDatasync: () => failing });
    const buffer = await openBuffer({ fs, logger });
    await buffer.append(builders(1, 1));
    failing = true;
    await expect(buffer.append(builders(2, 1))).rejects.toMatchObject({ code: 'RS_ERR_BUFFER_IO' });
    failing = false;
    await expect(buffer.append(builders(3, 1))).rejects.toMatchObject({ code: 'RS_ERR_BUFFER_IO' });
    await expect(buffer.ack(1)).rejects.toMatchObject({ code: 'RS_ERR_BUFFER_IO' });
    expect(buffer.stats()).toMatchObject({ state: 'failed', lastSeq: 1, ackedSeq: 0 });
    expect((await readAll(buffer)).map((record) => record.seq)).toEqual([1]);
    expect(lines.some((line) => line.level === ERROR_LEVEL && line.msg.includes('fail-stop'))).toBe(true);
    await buffer.close();

    // A restart re-reads the disk: the unacknowledged write may or may not be there, seq 1 is.
    const reopened = await openBuffer();
    const seqs = (await readAll(reopened)).map((record) => record.seq);
    expect(seqs[0]).toBe(1);
    expect(seqs.length).toBeLessThanOrEqual(2);
    expect(reopened.stats().ackedSeq).toBe(0);
  });

  it('wakes a waiting reader as soon as a record is durable', async () => {
    const buffer = await openBuffer();
    const started = Date.now();
    const woke = buffer.waitForAppend(0, 120_000);
    await buffer.append(builders(1, 1));
    await woke;
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('rejects an ack beyond the durable seq', async () => {
    const buffer = await openBuffer();
    await buffer.append(builders(1, 2));
    await expect(buffer.ack(3)).rejects.toMatchObject({ code: 'RS_ERR_BUFFER_ACK_RANGE' });
  });

  it('opens a format-1 buffer (no segment header) written by an older store and appends in a new format-2 segment', async () => {
    const v1Record = (seq: number, payload: Payload) => {
      const body = Buffer.from(JSON.stringify(payload), 'utf8');
      const record = Buffer.alloc(RECORD_HEADER_BYTES + body.length);
      record.writeUInt32LE(body.length, 0);
      record.writeBigUInt64LE(BigInt(seq), 8);
      body.copy(record, RECORD_HEADER_BYTES);
      record.writeUInt32LE(crc32c(record.subarray(8)), 4);
      return record;
    };
    await writeFile(join(dir, segmentFileName(1)), Buffer.concat([1, 2, 3].map((n) => v1Record(n, payload(n)))));
    await writeFile(join(dir, 'cursor.json'), JSON.stringify({ acked_seq: 1 }));

    const buffer = await openBuffer();
    expect(buffer.stats()).toMatchObject({ lastSeq: 3, ackedSeq: 1, quarantined: 0 });
    expect((await readAll(buffer, 1)).map((record) => record.payload)).toEqual([payload(2), payload(3)]);
    expect(await buffer.append(builders(4, 1))).toEqual([4]);
    await buffer.close();
    expect(await segmentFiles()).toEqual([segmentFileName(1), segmentFileName(4)]);
    expect((await readFile(join(dir, segmentFileName(4)))).subarray(0, 8).toString('ascii')).toBe('RSBUFSEG');

    const reopened = await openBuffer();
    expect((await readAll(reopened, 1)).map((record) => record.seq)).toEqual([2, 3, 4]);
  });

  it('flushes accepted appends on close', async () => {
    const buffer = await openBuffer({ groupCommitWaitMs: 50 });
    const appended = buffer.append(builders(1, 3));
    await buffer.close();
    expect(await appended).toEqual([1, 2, 3]);
    await expect(buffer.append(builders(4, 1))).rejects.toMatchObject({ code: 'RS_ERR_BUFFER_CLOSED' });
    const reopened = await openBuffer();
    expect(reopened.stats().lastSeq).toBe(3);
  });

  it("hands out each record's payload bytes exactly as appended, and parses them only when the payload is used", async () => {
    const buffer = await openBuffer();
    await buffer.append(builders(1, 3));
    const records = await readAll(buffer);
    expect(records.map((record) => record.json.toString('utf8'))).toEqual([1, 2, 3].map((n) => JSON.stringify(payload(n))));
    expect(records.map((record) => record.payload)).toEqual([payload(1), payload(2), payload(3)]);
    expect(records[0]!.payload).toBe(records[0]!.payload); // parsed once, then kept
  });

  it('a reader that goes on where it stopped, steps back, or reads across segments always gets the right records', async () => {
    const buffer = await openBuffer({ segmentBytes: 4096 });
    await buffer.append(builders(1, 200));
    const seen: number[] = [];
    let appended = false;
    for (let after = 0; after < 205; ) {
      const batch = await buffer.readFrom(after, 7, Number.MAX_SAFE_INTEGER);
      seen.push(...batch.map((record) => record.payload.n));
      after = batch.at(-1)!.seq;
      if (after >= 100 && !appended) appended = (await buffer.append(builders(201, 5))).length > 0; // appends while a sequential read is under way
    }
    expect(seen).toEqual(Array.from({ length: 205 }, (_, i) => i + 1));
    // a shipper after a partial ack re-reads from an earlier seq
    expect((await buffer.readFrom(42, 3, Number.MAX_SAFE_INTEGER)).map((record) => record.payload.n)).toEqual([43, 44, 45]);
    expect((await buffer.readFrom(45, 2, Number.MAX_SAFE_INTEGER)).map((record) => record.payload.n)).toEqual([46, 47]);
    expect((await buffer.readFrom(199, 100, Number.MAX_SAFE_INTEGER)).map((record) => record.payload.n)).toEqual([200, 201, 202, 203, 204, 205]);
    await buffer.ack(150);
    expect((await buffer.readFrom(150, 2, Number.MAX_SAFE_INTEGER)).map((record) => record.seq)).toEqual([151, 152]);
  });

  it('reports a record whose checksum holds but whose bytes are not JSON as RS_ERR_BUFFER_CORRUPT when its payload is used', async () => {
    const good = encodeRecord(1, Buffer.from(JSON.stringify(payload(1)), 'utf8'));
    const notJson = encodeRecord(2, Buffer.from('{not json', 'utf8'));
    markCommit(notJson);
    await writeFile(join(dir, segmentFileName(1)), Buffer.concat([encodeSegmentHeader(), good.bytes, notJson.bytes]));
    const buffer = await openBuffer();
    const records = await readAll(buffer);
    expect(records.map((record) => record.seq)).toEqual([1, 2]);
    expect(records[1]!.json.toString('utf8')).toBe('{not json');
    expect(() => records[1]!.payload).toThrow(expect.objectContaining({ code: 'RS_ERR_BUFFER_CORRUPT' }));
  });
});
