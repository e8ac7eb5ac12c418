/**
 * Exhaustive damage to the first (sealed) segment of a 3-segment log: every bit of the segment header,
 * every bit of the first records' headers (length, checksum, seq) and payloads, and a truncation at
 * every byte offset. Each case must be detected (a quarantine entry, reported in stats) and the number
 * of records reported lost must equal exactly the number of records damaged; every other record
 * stays readable, and reopening again enters nothing twice.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../simulator/prng.ts';
import { DiskBuffer, segmentFileName, type DiskBufferOptions } from './disk-buffer.ts';
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES } from './record-format.ts';
import { SimulatedDisk } from './simulated-disk.ts';

const DIR = '/sim/corrupt';
const OPTIONS: DiskBufferOptions<string> = { segmentBytes: 400, groupCommitWaitMs: 0 };
const FIRST_RECORDS = 3;

interface Layout {
  files: Map<string, Buffer>;
  /** [start, end) of each record of the first segment, and its seq. */
  firstSegment: { start: number; end: number; seq: number }[];
  lastSeq: number;
}

async function buildLog(): Promise<Layout> {
  const disk = new SimulatedDisk(seededRandom(7));
  const buffer = await DiskBuffer.open<string>(DIR, { ...OPTIONS, fs: disk.fileSystem() });
  let n = 0;
  while ([...disk.files(DIR).keys()].filter((name) => name.startsWith('segment-')).length < 3 || n % 2 === 1) {
    n += 1;
    await buffer.append(n % 2 === 0 ? [() => `sale ${n}`] : [() => `sale ${n}`, () => `sale ${n}b`]);
  }
  const lastSeq = buffer.stats().lastSeq;
  await buffer.close();
  const files = disk.files(DIR);
  const first = files.get(segmentFileName(1))!;
  const firstSegment: Layout['firstSegment'] = [];
  for (let offset = SEGMENT_HEADER_BYTES, seq = 1; offset < first.length; seq++) {
    const end = offset + RECORD_HEADER_BYTES + (first.readUInt32LE(offset) & 0x7fffffff);
    firstSegment.push({ start: offset, end, seq });
    offset = end;
  }
  return { files, firstSegment, lastSeq };
}

/** Opens the log with the first segment replaced by `damaged`; returns what the buffer reports. */
async function openDamaged(layout: Layout, damaged: Buffer) {
  const disk = new SimulatedDisk(seededRandom(1));
  const fs = disk.fileSystem();
  for (const [name, bytes] of layout.files) {
    const file = await fs.open(`${DIR}/${name}`, 'create');
    await file.append(name === segmentFileName(1) ? damaged : bytes);
    await file.datasync();
  }
  await fs.fsyncDir(DIR);
  const buffer = await DiskBuffer.open<string>(DIR, { ...OPTIONS, fs: disk.fileSystem() });
  const seqs = (await buffer.readFrom(0, 10_000, Number.MAX_SAFE_INTEGER)).map((record) => record.seq);
  const stats = buffer.stats();
  await buffer.close();
  const again = await DiskBuffer.open<string>(DIR, { ...OPTIONS, fs: disk.fileSystem() });
  const statsAgain = again.stats();
  await again.close();
  return { seqs, stats, statsAgain };
}

function allSeqsExcept(layout: Layout, lost: Set<number>): number[] {
  return Array.from({ length: layout.lastSeq }, (_, i) => i + 1).filter((seq) => !lost.has(seq));
}

describe('DiskBuffer corruption torture (first segment of three)', () => {
  it('detects every flipped bit of the segment header, record headers, checksums and first payload, and counts exactly the damaged record as lost', async () => {
    const layout = await buildLog();
    expect(layout.files.size).toBeGreaterThanOrEqual(3);
    const original = layout.files.get(segmentFileName(1))!;
    const cases: { byte: number; lostSeq: number | undefined }[] = [];
    for (let byte = 0; byte < SEGMENT_HEADER_BYTES; byte++) cases.push({ byte, lostSeq: undefined });
    for (const record of layout.firstSegment.slice(0, FIRST_RECORDS)) {
      for (let byte = record.start; byte < record.start + RECORD_HEADER_BYTES; byte++) cases.push({ byte, lostSeq: record.seq });
    }
    const first = layout.firstSegment[0]!;
    for (let byte = first.start + RECORD_HEADER_BYTES; byte < first.end; byte++) cases.push({ byte, lostSeq: first.seq });

    let detected = 0;
    for (const { byte, lostSeq } of cases) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = Buffer.from(original);
        damaged[byte]! ^= 1 << bit;
        const { seqs, stats, statsAgain } = await openDamaged(layout, damaged);
        const context = `byte ${byte} bit ${bit}`;
        expect(stats.quarantined, context).toBeGreaterThanOrEqual(1);
        expect(stats.lostRecords, context).toBe(lostSeq === undefined ? 0 : 1);
        expect(seqs, context).toEqual(allSeqsExcept(layout, new Set(lostSeq === undefined ? [] : [lostSeq])));
        expect(statsAgain, context).toMatchObject({ quarantined: stats.quarantined, lostRecords: stats.lostRecords });
        detected += 1;
      }
    }
    console.info(`corruption torture: ${detected} of ${cases.length * 8} bit flips detected (100 %), lost records = damaged records in every case`);
    expect(detected).toBe(cases.length * 8);
  }, 300_000);

  it('detects a truncation of the first segment at every byte offset and counts exactly the records cut as lost', async () => {
    const layout = await buildLog();
    const original = layout.files.get(segmentFileName(1))!;
    for (let length = 0; length < original.length; length++) {
      const cut = new Set(layout.firstSegment.filter((record) => record.end > length).map((record) => record.seq));
      const { seqs, stats, statsAgain } = await openDamaged(layout, original.subarray(0, length));
      const context = `truncated to ${length} of ${original.length} bytes`;
      expect(stats.quarantined, context).toBeGreaterThanOrEqual(1);
      expect(stats.lostRecords, context).toBe(cut.size);
      expect(seqs, context).toEqual(allSeqsExcept(layout, cut));
      expect(statsAgain, context).toMatchObject({ quarantined: stats.quarantined, lostRecords: stats.lostRecords });
    }
    console.info(`corruption torture: ${original.length} truncation offsets detected (100 %), lost records = records cut in every case`);
  }, 300_000);
});
