/**
 * Model-based test (after Vector's disk_v2 `model_check`): random sequences of append, concurrent
 * append, read, ack, close/reopen, crash/reopen and crash-during-append run against the real buffer
 * and a plain in-memory model; after every step they must agree. Tiny segments force rotations and
 * deletions. A crash closes every file handle of the old object and leaves it to rot (kill -9).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/capture-logger.ts';
import { DiskBuffer } from './disk-buffer.ts';
import { TestingFileSystem } from './testing-file-system.ts';

interface Model {
  /** Payloads by seq of every record that must be in the buffer. */
  records: Map<number, string>;
  lastSeq: number;
  ackedSeq: number;
}

interface Real {
  dir: string;
  fs: TestingFileSystem;
  buffer: DiskBuffer<string>;
}

const OPTIONS = { segmentBytes: 160, maxBytes: 1_000_000, groupCommitWaitMs: 0 };

async function openReal(dir: string): Promise<Pick<Real, 'fs' | 'buffer'>> {
  const fs = new TestingFileSystem({ skipSync: true });
  return { fs, buffer: await DiskBuffer.open<string>(dir, { ...OPTIONS, fs }) };
}

async function expectAgreement(model: Model, real: Real): Promise<void> {
  expect(real.buffer.stats()).toMatchObject({ lastSeq: model.lastSeq, ackedSeq: model.ackedSeq, quarantined: 0 });
  const unacked = await real.buffer.readFrom(model.ackedSeq, 1_000_000, Number.MAX_SAFE_INTEGER);
  const expected = [...model.records].filter(([seq]) => seq > model.ackedSeq).sort((a, b) => a[0] - b[0]);
  expect(unacked.map((record) => [record.seq, record.payload])).toEqual(expected);
}

class AppendCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly payloads: string[]) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const seqs = await real.buffer.append(this.payloads.map((payload) => () => payload));
    expect(seqs).toEqual(this.payloads.map((_, i) => model.lastSeq + 1 + i));
    seqs.forEach((seq, i) => model.records.set(seq, this.payloads[i]!));
    model.lastSeq += seqs.length;
  }
  toString = () => `append(${JSON.stringify(this.payloads)})`;
}

class ConcurrentAppendCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly groups: string[][]) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const results = await Promise.all(this.groups.map((group) => real.buffer.append(group.map((payload) => () => payload))));
    const payloads = this.groups.flat();
    expect(results.flat()).toEqual(payloads.map((_, i) => model.lastSeq + 1 + i));
    payloads.forEach((payload, i) => model.records.set(model.lastSeq + 1 + i, payload));
    model.lastSeq += payloads.length;
  }
  toString = () => `concurrentAppend(${JSON.stringify(this.groups)})`;
}

class ReadCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly fromFraction: number,
    readonly maxRecords: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const afterSeq = model.ackedSeq + Math.floor((model.lastSeq - model.ackedSeq) * this.fromFraction);
    const records = await real.buffer.readFrom(afterSeq, this.maxRecords, Number.MAX_SAFE_INTEGER);
    const expected = [...model.records.keys()].filter((seq) => seq > afterSeq).sort((a, b) => a - b).slice(0, this.maxRecords);
    expect(records.map((record) => record.seq)).toEqual(expected);
    expect(records.map((record) => record.payload)).toEqual(expected.map((seq) => model.records.get(seq)));
  }
  toString = () => `read(${this.fromFraction.toFixed(2)}, ${this.maxRecords})`;
}

class AckCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly fraction: number) {}
  check = (model: Readonly<Model>) => model.lastSeq > model.ackedSeq;
  async run(model: Model, real: Real): Promise<void> {
    const upto = model.ackedSeq + Math.max(1, Math.ceil((model.lastSeq - model.ackedSeq) * this.fraction));
    await real.buffer.ack(upto);
    model.ackedSeq = upto;
    for (const seq of model.records.keys()) if (seq <= upto) model.records.delete(seq);
    await expectAgreement(model, real);
  }
  toString = () => `ack(${this.fraction.toFixed(2)})`;
}

class ReopenCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly crash: boolean) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    if (this.crash) await real.fs.crash();
    else await real.buffer.close();
    Object.assign(real, await openReal(real.dir));
    await expectAgreement(model, real);
  }
  toString = () => (this.crash ? 'crash+reopen' : 'close+reopen');
}

/** kill -9 while appends are in flight: afterwards the buffer holds a gap-free prefix of them, in order. */
class CrashDuringAppendCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly payloads: string[]) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const inFlight = this.payloads.map((payload) => real.buffer.append([() => payload]).catch(() => undefined));
    await real.fs.crash();
    await Promise.all(inFlight);
    Object.assign(real, await openReal(real.dir));
    const survivors = real.buffer.stats().lastSeq - model.lastSeq;
    expect(survivors).toBeGreaterThanOrEqual(0);
    expect(survivors).toBeLessThanOrEqual(this.payloads.length);
    this.payloads.slice(0, survivors).forEach((payload, i) => model.records.set(model.lastSeq + 1 + i, payload));
    model.lastSeq += survivors;
    await expectAgreement(model, real);
  }
  toString = () => `crashDuringAppend(${JSON.stringify(this.payloads)})`;
}

const payloadArb = fc.string({ minLength: 1, maxLength: 40 });

const commands = [
  payloadArb.chain((first) => fc.array(payloadArb, { maxLength: 4 }).map((rest) => new AppendCommand([first, ...rest]))),
  fc.array(fc.array(payloadArb, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 5 }).map((groups) => new ConcurrentAppendCommand(groups)),
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 8 })).map(([from, max]) => new ReadCommand(from, max)),
  fc.double({ min: 0, max: 1, noNaN: true }).map((fraction) => new AckCommand(fraction)),
  fc.boolean().map((crash) => new ReopenCommand(crash)),
  fc.array(payloadArb, { minLength: 1, maxLength: 4 }).map((payloads) => new CrashDuringAppendCommand(payloads)),
];

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

describe('DiskBuffer model', () => {
  it('agrees with an in-memory model under random append, read, ack, reopen and crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 30 }), async (cmds) => {
        const { dir, cleanup } = await makeTempDir('buffer-model');
        cleanups.push(cleanup);
        const real: Real = { dir, ...(await openReal(dir)) };
        const model: Model = { records: new Map(), lastSeq: 0, ackedSeq: 0 };
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          await expectAgreement(model, real);
        } finally {
          await real.buffer.close().catch(() => undefined);
        }
      }),
      { numRuns: 300 },
    );
  });
});
