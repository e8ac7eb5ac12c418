/**
 * Buffer throughput against a raw append + fdatasync loop on the same disk, same record sizes, same
 * records per fsync, measured in the same run (printed; the lead copies the numbers into the issue).
 * "raw" is FileHandle.write + FileHandle.datasync of pre-encoded bytes: the floor the buffer's own
 * work (JSON, CRC32C, framing, bookkeeping) is paid on top of. A third row shows group commit: many
 * concurrent one-record appends sharing fsyncs. Raw and buffer run in alternating slices so that a
 * busy machine skews both alike. Asserted: every record comes back, and group commit
 * uses fewer fsyncs than appends.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/capture-logger.ts';
import { DiskBuffer } from './disk-buffer.ts';
import { RECORD_HEADER_BYTES } from './record-format.ts';
import { TestingFileSystem } from './testing-file-system.ts';
import { TORTURE_FULL } from './torture-scale.ts';

const SECONDS = TORTURE_FULL ? 4 : 0.4;
/** Raw and buffer alternate in slices, so load from other processes hits both alike. */
const SLICES = TORTURE_FULL ? 8 : 2;
const PAYLOAD_CHARS = 510; // JSON string of 510 chars + quotes = 512-byte payload, like a small SaleEvent
const RECORD_BYTES = PAYLOAD_CHARS + 2 + RECORD_HEADER_BYTES;
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

interface Measured {
  label: string;
  records: number;
  fsyncs: number;
  seconds: number;
}

async function tempDir(): Promise<string> {
  const { dir, cleanup } = await makeTempDir('throughput');
  cleanups.push(cleanup);
  return dir;
}

/** A measurement run in slices: `slice()` runs for the given ms and adds to the totals. */
interface Runner {
  measured: Measured;
  slice(ms: number): Promise<void>;
  finish(): Promise<void>;
}

async function rawRunner(batch: number): Promise<Runner> {
  const file = await open(join(await tempDir(), 'raw.log'), 'a');
  const bytes = Buffer.alloc(RECORD_BYTES * batch, 0x61);
  const measured: Measured = { label: `raw write+fdatasync, ${batch}/fsync`, records: 0, fsyncs: 0, seconds: 0 };
  return {
    measured,
    async slice(ms) {
      const started = performance.now();
      while (performance.now() - started < ms) {
        await file.write(bytes);
        await file.datasync();
        measured.records += batch;
        measured.fsyncs += 1;
      }
      measured.seconds += (performance.now() - started) / 1000;
    },
    finish: () => file.close(),
  };
}

async function bufferRunner(batch: number, writers: number): Promise<Runner> {
  const fs = new TestingFileSystem();
  const buffer = await DiskBuffer.open<string>(await tempDir(), { fs, groupCommitWaitMs: 0, segmentBytes: 64 * 1024 * 1024, maxBytes: 8 * 1024 * 1024 * 1024 });
  const payload = 'a'.repeat(PAYLOAD_CHARS);
  const builders = Array.from({ length: batch }, () => () => payload);
  const label = writers === 1 ? `buffer.append, ${batch}/append` : `buffer.append, ${writers} writers × ${batch}/append (group commit)`;
  const measured: Measured = { label, records: 0, fsyncs: 0, seconds: 0 };
  const syncsBefore = fs.datasyncs;
  return {
    measured,
    async slice(ms) {
      const started = performance.now();
      await Promise.all(
        Array.from({ length: writers }, async () => {
          while (performance.now() - started < ms) {
            const appended = await buffer.append(builders);
            measured.records += appended.length;
          }
        }),
      );
      measured.seconds += (performance.now() - started) / 1000;
    },
    async finish() {
      measured.fsyncs = fs.datasyncs - syncsBefore;
      expect(buffer.stats().lastSeq).toBe(measured.records);
      const tail = await buffer.readFrom(measured.records - 1, 10, 1_000_000);
      expect(tail.map((record) => record.payload)).toEqual([payload]);
      await buffer.close();
    },
  };
}

async function interleaved(runners: Runner[]): Promise<Measured[]> {
  for (let slice = 0; slice < SLICES; slice++) for (const runner of runners) await runner.slice((SECONDS * 1000) / SLICES);
  for (const runner of runners) await runner.finish();
  return runners.map((runner) => runner.measured);
}

function row(measured: Measured): string {
  const perSecond = measured.records / measured.seconds;
  const mbPerSecond = (perSecond * RECORD_BYTES) / (1024 * 1024);
  return `${measured.label.padEnd(58)} ${Math.round(perSecond).toString().padStart(9)} rec/s ${mbPerSecond.toFixed(1).padStart(7)} MiB/s  ${(measured.records / measured.fsyncs).toFixed(1).padStart(6)} rec/fsync`;
}

describe('DiskBuffer throughput', () => {
  it('is measured against a raw append+fdatasync loop with the same record size and batch', async () => {
    const rows: Measured[] = [];
    for (const batch of [1, 100]) rows.push(...(await interleaved([await rawRunner(batch), await bufferRunner(batch, 1)])));
    const [grouped] = await interleaved([await bufferRunner(1, 64)]);
    rows.push(grouped!);
    console.info([`buffer throughput (${RECORD_BYTES}-byte records, ${SECONDS}s per row, ${process.platform}/${process.arch}):`, ...rows.map(row)].join('\n'));
    expect(grouped!.fsyncs).toBeLessThan(grouped!.records);
    for (const measured of rows) expect(measured.records).toBeGreaterThan(0);
  }, 120_000);
});
