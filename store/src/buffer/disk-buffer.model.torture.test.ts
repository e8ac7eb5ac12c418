/**
 * Model-based torture (after Vector's disk_v2 `model_check`), on the in-memory SimulatedDisk so runs
 * can be long: up to 200 random actions per run — append (left in flight), sync (await what is in
 * flight), read, ack, segment roll (an append of nearly a segment), close+reopen, kill -9+reopen and
 * power loss+reopen, and a failed write or fdatasync followed by kill -9 and power loss — against a plain model. After every step that settles the buffer, the records
 * from the cursor on must equal the model's. A crash or power cut may keep a prefix of the in-flight
 * appends (they were never acknowledged), never anything else. fast-check prints the
 * seed and path of a failing run; RS_TORTURE_SEED replays the whole run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../simulator/prng.ts';
import { DiskBuffer, type DiskBufferOptions } from './disk-buffer.ts';
import { SimulatedDisk, type FaultCode } from './simulated-disk.ts';
import { tortureBaseSeed, tortureCount } from './torture-scale.ts';

const DIR = '/sim/model';
const SEGMENT_BYTES = 300;
const OPTIONS: DiskBufferOptions<string> = { segmentBytes: SEGMENT_BYTES, maxBytes: 10_000_000, groupCommitWaitMs: 0 };
const RUNS = tortureCount(120, 1_000);
const MAX_ACTIONS = 200;

interface Model {
  /** Payloads of every record that must be in the buffer after the cursor, by seq. */
  records: Map<number, string>;
  lastSeq: number;
  ackedSeq: number;
}

interface InFlight {
  payloads: string[];
  done: Promise<number[] | undefined>;
}

interface Real {
  disk: SimulatedDisk;
  buffer: DiskBuffer<string>;
  inFlight: InFlight[];
  attempted: Map<number, string>;
}

async function open(real: Pick<Real, 'disk'>): Promise<DiskBuffer<string>> {
  return DiskBuffer.open<string>(DIR, { ...OPTIONS, fs: real.disk.fileSystem() });
}

async function settle(real: Real): Promise<(number[] | undefined)[]> {
  const results = await Promise.all(real.inFlight.map((append) => append.done));
  real.inFlight = [];
  return results;
}

async function expectAgreement(model: Model, real: Real): Promise<void> {
  expect(real.buffer.stats()).toMatchObject({ lastSeq: model.lastSeq, ackedSeq: model.ackedSeq, quarantined: 0 });
  const unacked = await real.buffer.readFrom(model.ackedSeq, 1_000_000, Number.MAX_SAFE_INTEGER);
  const expected = [...model.records].filter(([seq]) => seq > model.ackedSeq).sort((a, b) => a[0] - b[0]);
  expect(unacked.map((record) => [record.seq, record.payload])).toEqual(expected);
}

function startAppend(real: Real, payloads: string[]): void {
  const done = real.buffer.append(payloads.map((payload) => (seq: number) => (real.attempted.set(seq, payload), payload))).catch(() => undefined);
  real.inFlight.push({ payloads, done });
}

class AppendCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly payloads: string[]) {}
  check = () => true;
  async run(_model: Model, real: Real): Promise<void> {
    startAppend(real, this.payloads);
  }
  toString = () => `append(${this.payloads.length})`;
}

/** Awaits every append in flight: all of them must succeed with consecutive seqs. */
class SyncCommand implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const payloads = real.inFlight.flatMap((append) => append.payloads);
    const results = await settle(real);
    expect(results.flat()).toEqual(payloads.map((_, i) => model.lastSeq + 1 + i));
    payloads.forEach((payload, i) => model.records.set(model.lastSeq + 1 + i, payload));
    model.lastSeq += payloads.length;
    await expectAgreement(model, real);
  }
  toString = () => 'sync';
}

class RollCommand implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(_model: Model, real: Real): Promise<void> {
    startAppend(real, ['r'.repeat(SEGMENT_BYTES - 60)]);
  }
  toString = () => 'segmentRoll';
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
    // In-flight appends may become visible at any time, but only in seq order and only as appended.
    for (const [i, record] of records.entries()) {
      expect(record.seq).toBe(afterSeq + 1 + i);
      expect(record.payload).toBe(model.records.get(record.seq) ?? real.attempted.get(record.seq));
    }
    const settled = [...model.records.keys()].filter((seq) => seq > afterSeq).sort((a, b) => a - b).slice(0, this.maxRecords);
    expect(records.slice(0, settled.length).map((record) => record.seq)).toEqual(settled);
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
  }
  toString = () => `ack(${this.fraction.toFixed(2)})`;
}

type Restart = 'close' | 'kill' | 'powerLoss';

class RestartCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly how: Restart) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const inFlight = real.inFlight.flatMap((append) => append.payloads);
    if (this.how === 'close') {
      await real.buffer.close();
      await settle(real);
    } else if (this.how === 'kill') {
      real.disk.crashProcess();
      await settle(real);
    } else {
      real.disk = real.disk.powerLoss();
      await settle(real);
    }
    real.buffer = await open(real);
    const stats = real.buffer.stats();
    // Every ack here resolved before the restart, so its cursor is durable: exactly that cursor comes back.
    expect(stats.ackedSeq).toBe(model.ackedSeq);
    const survivors = stats.lastSeq - model.lastSeq;
    expect(survivors).toBeGreaterThanOrEqual(0);
    expect(survivors).toBeLessThanOrEqual(inFlight.length);
    if (this.how === 'close') expect(survivors).toBe(inFlight.length);
    inFlight.slice(0, survivors).forEach((payload, i) => model.records.set(model.lastSeq + 1 + i, payload));
    model.lastSeq += survivors;
    model.ackedSeq = stats.ackedSeq;
    for (const seq of model.records.keys()) if (seq <= stats.ackedSeq) model.records.delete(seq);
    await expectAgreement(model, real);
  }
  toString = () => `${this.how}+reopen`;
}

/**
 * A failed write or fdatasync (EIO, ENOSPC) under an append: the buffer fail-stops and the append
 * rejects. A kill -9 and reopen must then find exactly the acknowledged records, and so must a power
 * cut after that: the failed write may not come back from the page cache (a failed fdatasync forgets
 * the writes it covered, as Linux does, so only cutting them off keeps them from being read back).
 */
class FaultCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly kind: 'append' | 'datasync',
    readonly code: FaultCode,
    readonly payloads: string[],
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    await new SyncCommand().run(model, real);
    real.disk.failAtOp(1, this.code, [this.kind]);
    const failed = await real.buffer.append(this.payloads.map((payload) => () => payload)).then(
      () => undefined,
      (error: unknown) => error,
    );
    real.disk.clearFault();
    expect(failed).toMatchObject({ code: 'RS_ERR_BUFFER_IO' });
    expect(real.buffer.stats().state).toBe('failed');
    for (const restart of ['kill', 'powerLoss'] as const) {
      if (restart === 'kill') real.disk.crashProcess();
      else real.disk = real.disk.powerLoss();
      real.buffer = await open(real);
      // Seqs of the refused write are free again (nobody saw them) or skipped: either way never read.
      expect(real.buffer.stats().lastSeq).toBeGreaterThanOrEqual(model.lastSeq);
      model.lastSeq = real.buffer.stats().lastSeq;
      await expectAgreement(model, real);
    }
  }
  toString = () => `fault(${this.code} on ${this.kind}, ${this.payloads.length})`;
}

const payloadArb = fc.string({ minLength: 1, maxLength: 40 });
const commands = [
  fc.array(payloadArb, { minLength: 1, maxLength: 5 }).map((payloads) => new AppendCommand(payloads)),
  fc.constant(new SyncCommand()),
  fc.constant(new RollCommand()),
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 8 })).map(([from, max]) => new ReadCommand(from, max)),
  fc.double({ min: 0, max: 1, noNaN: true }).map((fraction) => new AckCommand(fraction)),
  fc.constantFrom<Restart>('close', 'kill', 'powerLoss').map((how) => new RestartCommand(how)),
  fc
    .tuple(fc.constantFrom<'append' | 'datasync'>('append', 'datasync'), fc.constantFrom<FaultCode>('EIO', 'ENOSPC'), fc.array(payloadArb, { minLength: 1, maxLength: 5 }))
    .map(([kind, code, payloads]) => new FaultCommand(kind, code, payloads)),
];

describe('DiskBuffer model torture', () => {
  it(`agrees with an in-memory model over ${RUNS} runs of up to ${MAX_ACTIONS} actions (append, sync, read, ack, roll, close, kill -9, power loss, disk fault)`, async () => {
    const seed = tortureBaseSeed();
    console.info(`model torture: ${RUNS} runs from fast-check seed ${seed} (replay: RS_TORTURE_SEED=${seed})`);
    let runs = 0;
    let actions = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 }), fc.commands(commands, { maxCommands: MAX_ACTIONS, size: 'max' }), async (diskSeed, cmds) => {
        const disk = new SimulatedDisk(seededRandom(diskSeed));
        const real: Real = { disk, buffer: await open({ disk }), inFlight: [], attempted: new Map() };
        const model: Model = { records: new Map(), lastSeq: 0, ackedSeq: 0 };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        await new SyncCommand().run(model, real);
        await real.buffer.close();
        runs += 1;
        actions += [...cmds].length;
      }),
      { numRuns: RUNS, seed },
    );
    console.info(`model torture: ${runs} runs, ${actions} actions (${(actions / runs).toFixed(0)} per run on average, at most ${MAX_ACTIONS})`);
    expect(runs).toBeGreaterThanOrEqual(RUNS);
  }, 900_000);
});
