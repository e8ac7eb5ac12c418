import type { StoredSale } from '@retail-sync/libs/domain';
import { describe, expect, it } from 'vitest';
import { SalesWriter } from './sales-writer.ts';

/** An order store whose putSales calls stay pending until the test settles them. */
function heldStore() {
  const calls: Array<{ eventIds: string[]; settle: (error?: Error) => void }> = [];
  return {
    calls,
    store: {
      putSales: (sales: StoredSale[]) =>
        new Promise<void>((resolve, reject) => {
          calls.push({ eventIds: sales.map((sale) => sale.event_id), settle: (error) => (error ? reject(error) : resolve()) });
        }),
    },
  };
}

const sale = (eventId: string) => ({ event_id: eventId }) as StoredSale;
const turn = () => new Promise((resolve) => setImmediate(resolve));
/** A settled write's follow-up is scheduled from its promise callbacks: give it a turn of its own. */
const turns = async () => {
  await turn();
  await turn();
};

describe('SalesWriter', () => {
  it('sends the sales of one event-loop turn as one write', async () => {
    const { calls, store } = heldStore();
    const writer = new SalesWriter(store, 100);
    void writer.write(sale('a'));
    void writer.write(sale('b'));
    await turn();
    expect(calls.map((call) => call.eventIds)).toEqual([['a', 'b']]);
  });

  it('keeps at most maxInFlight writes running and sends what arrived meanwhile together in the next one', async () => {
    const { calls, store } = heldStore();
    const writer = new SalesWriter(store, 100, 2);
    const settled: string[] = [];
    const write = (id: string) => void writer.write(sale(id)).then(() => settled.push(id));
    write('a');
    await turn();
    write('b');
    await turn();
    write('c');
    write('d');
    await turn();
    write('e');
    await turn();
    expect(calls.map((call) => call.eventIds)).toEqual([['a'], ['b']]);

    calls[0]!.settle();
    await turns();
    expect(settled).toEqual(['a']);
    expect(calls.map((call) => call.eventIds)).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
  });

  it('splits a backlog into batches of maxBatch', async () => {
    const { calls, store } = heldStore();
    const writer = new SalesWriter(store, 2, 1);
    for (const id of ['a', 'b', 'c', 'd', 'e']) void writer.write(sale(id));
    await turn();
    calls[0]!.settle();
    await turns();
    calls[1]!.settle();
    await turns();
    expect(calls.map((call) => call.eventIds)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('settles each caller with its own batch: a failed write rejects only its sales, as retriable', async () => {
    const { calls, store } = heldStore();
    const writer = new SalesWriter(store, 100, 2);
    const first = writer.write(sale('a'));
    await turn();
    const second = writer.write(sale('b'));
    await turn();
    calls[0]!.settle(new Error('connection reset'));
    calls[1]!.settle();
    await expect(first).rejects.toMatchObject({ code: 'RS_ERR_DEPENDENCY_UNAVAILABLE', retriable: true });
    await expect(second).resolves.toBeUndefined();
  });

  it('keeps writing after a putSales that throws instead of rejecting', async () => {
    let calls = 0;
    const writer = new SalesWriter(
      {
        putSales: () => {
          calls += 1;
          if (calls === 1) throw new Error('thrown synchronously');
          return Promise.resolve();
        },
      },
      100,
      1,
    );
    await expect(writer.write(sale('a'))).rejects.toMatchObject({ code: 'RS_ERR_DEPENDENCY_UNAVAILABLE' });
    await expect(writer.write(sale('b'))).resolves.toBeUndefined();
  });
});
