import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEV_STORE_KEY_SECRET, type SaleEvent } from '@retail-sync/libs/domain';
import { DiskBuffer } from '../buffer/index.ts';
import { captureLogger, ERROR_LEVEL, makeTempDir } from '../testing/capture-logger.ts';
import { saleEvent } from '../testing/sale-factory.ts';
import { FakeIngestServer, type FakeIngestOptions } from './fake-ingest-server.ts';
import { GrpcShipper, type GrpcShipperOptions } from './grpc-shipper.ts';

const STORE = 'nyc-001';
let dir: string;
let cleanup: () => Promise<void>;
const running: { stop(): Promise<void> }[] = [];
let buffer: DiskBuffer<SaleEvent>;

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('shipper'));
  buffer = await DiskBuffer.open<SaleEvent>(dir, { groupCommitWaitMs: 0 });
});

afterEach(async () => {
  vi.restoreAllMocks();
  for (const item of running.splice(0).reverse()) await item.stop();
  await buffer.close();
  await cleanup();
});

async function fake(options: FakeIngestOptions): Promise<FakeIngestServer> {
  const server = await FakeIngestServer.start(options);
  running.push(server);
  return server;
}

function shipper(endpoints: string[], overrides: Partial<GrpcShipperOptions> = {}): GrpcShipper {
  const instance = new GrpcShipper(buffer, {
    storeId: STORE,
    keySecret: DEV_STORE_KEY_SECRET,
    endpoints,
    batchMaxEvents: 100,
    batchMaxBytes: 1024 * 1024,
    ackTimeoutMs: 2_000,
    connectTimeoutMs: 300,
    backoffBaseMs: 10,
    backoffMaxMs: 100,
    authBackoffMs: 200,
    breakerFailures: 3,
    breakerHalfOpenMs: 500,
    idlePollMs: 50,
    logger: captureLogger('silent').logger,
    ...overrides,
  });
  running.push(instance);
  instance.start();
  return instance;
}

async function appendEvents(count: number): Promise<SaleEvent[]> {
  const events: SaleEvent[] = [];
  await buffer.append(
    Array.from({ length: count }, () => (seq: number) => {
      const event = saleEvent(STORE, seq);
      events.push(event);
      return event;
    }),
  );
  return events;
}

/** Every seq the shipper moves the cursor to; with `ackedByCentral`, a move over an event central never acked is recorded as a violation. */
function recordCursorMoves(ackedByCentral?: () => Set<number>): { moves: number[]; violations: string[] } {
  const moves: number[] = [];
  const violations: string[] = [];
  const ack = buffer.ack.bind(buffer);
  vi.spyOn(buffer, 'ack').mockImplementation((uptoSeq: number) => {
    moves.push(uptoSeq);
    const acked = ackedByCentral?.();
    for (let seq = buffer.stats().ackedSeq + 1; acked && seq <= uptoSeq; seq++) if (!acked.has(seq)) violations.push(`cursor moved to ${uptoSeq} over unacked seq ${seq}`);
    return ack(uptoSeq);
  });
  return { moves, violations };
}

async function eventually(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function unusedEndpoint(): Promise<string> {
  const server = await FakeIngestServer.start({ secret: DEV_STORE_KEY_SECRET });
  await server.stop();
  return server.endpoint;
}

describe('GrpcShipper', () => {
  it('ships every event in seq order with the store credential and advances the cursor to the last ack', async () => {
    const central = await fake({ secret: DEV_STORE_KEY_SECRET });
    const events = await appendEvents(250);
    shipper([central.endpoint]);
    await eventually(() => buffer.stats().ackedSeq === 250);
    expect(central.received.map((event) => event.seq)).toEqual(events.map((event) => event.seq));
    expect(central.received.map((event) => event.event_id)).toEqual(events.map((event) => event.event_id));
    expect(central.batches.every((batch) => batch.events.length <= 100 && batch.high_water_seq === 250)).toBe(true);
    expect(JSON.parse(central.received[0]!.sale_json.toString('utf8'))).toEqual(events[0]!.sale);
    expect(central.authFailures).toEqual([]);
  });

  it('wakes up promptly for events appended while idle', async () => {
    const central = await fake({ secret: DEV_STORE_KEY_SECRET });
    // The idle poll is far longer than the bound: only the append wake-up can ship within it, even on a busy machine.
    const ship = shipper([central.endpoint], { idlePollMs: 120_000 });
    await eventually(() => ship.status().state === 'shipping');
    const started = Date.now();
    await appendEvents(3);
    await eventually(() => buffer.stats().ackedSeq === 3, 30_000);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('does not move the cursor while central acks none of a batch', async () => {
    const central = await fake({ secret: DEV_STORE_KEY_SECRET, ackFirst: 0 });
    await appendEvents(5);
    const ship = shipper([central.endpoint]);
    await eventually(() => central.batches.length >= 2);
    expect(buffer.stats()).toMatchObject({ ackedSeq: 0, records: 5 });
    expect(ship.status().last_error).toContain('covers none');
  });

  it('advances only over the acked prefix of a partially acked batch and re-sends the rest', async () => {
    const central = await fake({ secret: DEV_STORE_KEY_SECRET, ackFirst: 3 });
    const events = await appendEvents(10);
    shipper([central.endpoint]);
    await eventually(() => buffer.stats().ackedSeq === 10);
    expect(central.batches[0]!.events).toHaveLength(10);
    expect(central.batches[1]!.events[0]!.seq).toBe(4);
    expect(central.distinctEventIds).toEqual(new Set(events.map((event) => event.event_id)));
  });

  it('moves past events central rejected (they are dead-lettered there)', async () => {
    const central = await fake({ secret: DEV_STORE_KEY_SECRET, outcome: (event) => (event.seq === 2 ? 'REJECTED' : 'ACCEPTED') });
    await appendEvents(4);
    const ship = shipper([central.endpoint]);
    await eventually(() => buffer.stats().ackedSeq === 4);
    expect(ship.status()).toMatchObject({ acked_events: 4, rejected_events: 1 });
    expect(central.received).toHaveLength(4);
  });

  it('loses nothing when central dies mid-stream: re-sends unacked events to the restarted server', async () => {
    const first = await fake({ secret: DEV_STORE_KEY_SECRET, dieAfterBatches: 3 });
    const events = await appendEvents(500);
    const ship = shipper([first.endpoint]);
    await eventually(() => first.batches.length >= 3);
    await eventually(() => ship.status().state !== 'shipping');
    // Three batches were in flight; the acks of the first two may or may not have left before the server died.
    const ackedByFirst = buffer.stats().ackedSeq;
    expect([0, 100, 200]).toContain(ackedByFirst);

    const second = await fake({ secret: DEV_STORE_KEY_SECRET, port: first.port });
    await eventually(() => buffer.stats().ackedSeq === 500);
    const all = new Set([...first.distinctEventIds, ...second.distinctEventIds]);
    expect(all).toEqual(new Set(events.map((event) => event.event_id)));
    expect(second.received[0]!.seq).toBe(ackedByFirst + 1);
    // The third batch reached the first server unacked, so it arrived at least twice in total.
    const deliveries = [...first.received, ...second.received].filter((event) => event.seq === 201);
    expect(deliveries.length).toBeGreaterThanOrEqual(2);
  });

  it('keeps several batches in flight, moves the cursor only over acks in order, and resends from the cursor after a broken stream', async () => {
    const held: Array<() => void> = [];
    let holding = true;
    const central = await fake({ secret: DEV_STORE_KEY_SECRET, ackGate: () => (holding ? new Promise<void>((resolve) => held.push(resolve)) : Promise.resolve()) });
    const events = await appendEvents(500);
    const cursor = recordCursorMoves();
    shipper([central.endpoint], { maxBatchesInFlight: 3 });

    await eventually(() => central.batches.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(central.batches.map((batch) => batch.events[0]!.seq)).toEqual([1, 101, 201]); // no fourth while three are unacked
    expect(buffer.stats().ackedSeq).toBe(0);

    held.shift()!(); // central acks the first batch only
    await eventually(() => buffer.stats().ackedSeq === 100 && central.batches.length === 4);
    expect(central.batches[3]!.events[0]!.seq).toBe(301); // the window refilled

    central.breakStreams(); // the acks of batches 2–4 never arrive
    holding = false;
    for (const release of held.splice(0)) release();
    await eventually(() => buffer.stats().ackedSeq === 500);
    const secondStream = central.batches.filter((_, i) => central.batchStreams[i] === 2);
    expect(secondStream[0]!.events[0]!.seq).toBe(101);
    expect(secondStream.flatMap((batch) => batch.events.map((event) => event.seq))).toEqual(events.slice(100).map((event) => event.seq));
    // Cursor writes may fold several acks into one, but only ever land on an acked batch's end, in order.
    expect(cursor.moves[0]).toBe(100);
    expect(cursor.moves.at(-1)).toBe(500);
    expect(cursor.moves.every((seq, i) => seq % 100 === 0 && (i === 0 || seq > cursor.moves[i - 1]!))).toBe(true);
  });

  it('after a partial ack re-sends from the cursor: acks of batches sent behind the hole never move it', async () => {
    const ackedByCentral = new Set<number>();
    const central = await fake({
      secret: DEV_STORE_KEY_SECRET,
      ackFirst: 30,
      outcome: (event, seenBefore) => (ackedByCentral.add(event.seq), seenBefore ? 'DUPLICATE' : 'ACCEPTED'),
    });
    const events = await appendEvents(250);
    const cursor = recordCursorMoves(() => ackedByCentral);
    shipper([central.endpoint], { maxBatchesInFlight: 3 });
    await eventually(() => buffer.stats().ackedSeq === 250);
    expect(central.batches.slice(0, 3).map((batch) => batch.events[0]!.seq)).toEqual([1, 101, 201]);
    expect(central.batches[3]!.events[0]!.seq).toBe(31); // batches 2 and 3 were forgotten, the next starts at the cursor
    expect(cursor.moves[0]).toBe(30);
    expect(cursor.moves.every((seq, i) => (seq % 30 === 0 || seq === 250) && (i === 0 || seq > cursor.moves[i - 1]!))).toBe(true);
    expect(cursor.violations).toEqual([]);
    expect(central.distinctEventIds).toEqual(new Set(events.map((event) => event.event_id)));
  });

  it('with one batch in flight sends the next batch only after the previous ack', async () => {
    const held: Array<() => void> = [];
    const central = await fake({ secret: DEV_STORE_KEY_SECRET, ackGate: () => new Promise<void>((resolve) => held.push(resolve)) });
    await appendEvents(300);
    shipper([central.endpoint], { maxBatchesInFlight: 1 });
    for (const sent of [1, 2, 3]) {
      await eventually(() => central.batches.length === sent);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(central.batches).toHaveLength(sent);
      held.shift()!();
    }
    await eventually(() => buffer.stats().ackedSeq === 300);
  });

  it('fails over to the next endpoint when the first one is down', async () => {
    const down = await unusedEndpoint();
    const central = await fake({ secret: DEV_STORE_KEY_SECRET });
    await appendEvents(20);
    const ship = shipper([down, central.endpoint]);
    await eventually(() => buffer.stats().ackedSeq === 20);
    expect(central.received).toHaveLength(20);
    expect(ship.status()).toMatchObject({ endpoint: central.endpoint, state: 'shipping' });
  });

  it('keeps every event and acks nothing when central refuses the credential', async () => {
    const central = await fake({ secret: 'central-has-another-secret' });
    await appendEvents(5);
    const { logger, lines } = captureLogger('warn');
    const ship = shipper([central.endpoint], { logger });
    await eventually(() => ship.status().state === 'unauthenticated');
    expect(central.authFailures).toContain(STORE);
    expect(central.received).toEqual([]);
    expect(buffer.stats()).toMatchObject({ ackedSeq: 0, records: 5 });
    expect(lines.some((line) => line.level === ERROR_LEVEL && line.msg.includes('refused'))).toBe(true);
    expect((await buffer.readFrom(0, 10, 1_000_000)).map((record) => record.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('uses only an endpoint that answers grpc.health.v1 SERVING: a NOT_SERVING one is passed over', async () => {
    const draining = await fake({ secret: DEV_STORE_KEY_SECRET });
    draining.serving = 'NOT_SERVING';
    const central = await fake({ secret: DEV_STORE_KEY_SECRET });
    await appendEvents(20);
    const ship = shipper([draining.endpoint, central.endpoint]);
    await eventually(() => buffer.stats().ackedSeq === 20);
    expect(draining.healthChecks).toBeGreaterThanOrEqual(1);
    expect(draining.received).toEqual([]);
    expect(central.received).toHaveLength(20);
    expect(ship.status().endpoint).toBe(central.endpoint);
  });

  it('leaves an endpoint that turns NOT_SERVING while in use and ships the rest to the next one', async () => {
    const first = await fake({ secret: DEV_STORE_KEY_SECRET });
    const second = await fake({ secret: DEV_STORE_KEY_SECRET });
    await appendEvents(10);
    const ship = shipper([first.endpoint, second.endpoint], { healthCheckIntervalMs: 30 });
    await eventually(() => buffer.stats().ackedSeq === 10);
    first.serving = 'NOT_SERVING';
    await eventually(() => ship.status().endpoint === second.endpoint && ship.status().state === 'shipping');
    const later = await appendEvents(5);
    await eventually(() => buffer.stats().ackedSeq === 15);
    expect(second.received.map((event) => event.event_id)).toEqual(later.map((event) => event.event_id));
    expect(first.received).toHaveLength(10);
  });

  it('ships to an endpoint that has no health service (the stream alone then judges it)', async () => {
    const central = await fake({ secret: DEV_STORE_KEY_SECRET, health: false });
    await appendEvents(7);
    shipper([central.endpoint]);
    await eventually(() => buffer.stats().ackedSeq === 7);
    expect(central.received).toHaveLength(7);
  });

  it("opens an endpoint's circuit breaker after repeated failed checks, allows one half-open trial per period, and closes it once the trial succeeds", async () => {
    const central = await fake({ secret: DEV_STORE_KEY_SECRET });
    central.serving = 'NOT_SERVING';
    await appendEvents(3);
    const ship = shipper([central.endpoint], { breakerFailures: 3, breakerHalfOpenMs: 500, backoffBaseMs: 5, backoffMaxMs: 20 });
    expect(ship.breakerStates()).toEqual([{ endpoint: central.endpoint, state: 'closed' }]);
    await eventually(() => ship.breakerStates()[0]!.state === 'open');
    expect(central.healthChecks).toBe(3);

    // open: the endpoint is not touched until the half-open trial; the failed trial re-opens it at once
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(central.healthChecks).toBe(4);
    expect(ship.breakerStates()[0]!.state).toBe('open');
    expect(buffer.stats().ackedSeq).toBe(0);

    central.serving = 'SERVING';
    await eventually(() => buffer.stats().ackedSeq === 3);
    expect(ship.breakerStates()[0]!.state).toBe('closed');
    expect(central.received).toHaveLength(3);
  });

  it('waits idle without leaving a listener or a raced long-lived promise behind per poll', async () => {
    const central = await fake({ secret: DEV_STORE_KEY_SECRET });
    const raced = new Map<unknown, number>();
    const realRace = Promise.race.bind(Promise);
    const race = vi.spyOn(Promise, 'race').mockImplementation(((values: Iterable<unknown>) => {
      const list = [...values];
      for (const value of list) raced.set(value, (raced.get(value) ?? 0) + 1);
      return realRace(list);
    }) as typeof Promise.race);
    const signals = new Set<AbortSignal>();
    const realAdd = EventTarget.prototype.addEventListener;
    const add = vi.spyOn(EventTarget.prototype, 'addEventListener').mockImplementation(function (this: EventTarget, ...args: Parameters<EventTarget['addEventListener']>) {
      if (this instanceof AbortSignal) signals.add(this);
      return realAdd.apply(this, args);
    });
    try {
      const ship = shipper([central.endpoint], { idlePollMs: 1 });
      await eventually(() => ship.status().state === 'shipping');
      await new Promise((resolve) => setTimeout(resolve, 600)); // a few hundred idle polls
      expect(signals.size).toBeGreaterThan(0);
      for (const signal of signals) expect(getEventListeners(signal, 'abort').length).toBeLessThanOrEqual(2);
      expect(Math.max(0, ...raced.values())).toBeLessThanOrEqual(2);
    } finally {
      race.mockRestore();
      add.mockRestore();
    }
  });
});
