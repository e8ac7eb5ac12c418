/**
 * Disk faults through the whole store: ENOSPC and EIO on a buffer write, an fsync or the cursor's
 * rename make the store stop accepting (503 + Retry-After), report the fault on /readyz and
 * /v1/status, and stay stopped even once the disk recovers (fail-stop: after a failed fsync nothing
 * may be acknowledged). After the fault is cleared and the store restarted — or the machine lost power
 * in between — every sale that was acknowledged is still in the buffer, and a POS retry of the
 * refused sale is taken as new (the failed write was cut off) and survives a later power cut.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SaleEvent } from '@retail-sync/libs/domain';
import { DiskBuffer } from './buffer/index.ts';
import { SimulatedDisk, type FaultCode, type OpKind } from './buffer/simulated-disk.ts';
import { storeConfig } from './config.ts';
import { seededRandom } from './simulator/prng.ts';
import { startStore, type RunningStore } from './store.ts';
import { captureLogger } from './testing/capture-logger.ts';
import { validSale } from './testing/sale-factory.ts';

const DIR = '/sim/store-faults';
const running: RunningStore[] = [];

afterEach(async () => {
  for (const store of running.splice(0)) await store.close().catch(() => undefined);
});

async function start(disk: SimulatedDisk): Promise<RunningStore> {
  const config = storeConfig({ RS_STORE_PORT: 0, RS_STORE_DATA_DIR: DIR, RS_BUFFER_SEGMENT_BYTES: 64 * 1024, RS_BUFFER_MAX_BYTES: 256 * 1024 });
  const store = await startStore(config, { logger: captureLogger('silent').logger, fs: disk.fileSystem(), ship: false });
  running.push(store);
  return store;
}

async function post(store: RunningStore, receipts: string[]) {
  const response = await fetch(`${store.url}/v1/sales`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sales: receipts.map((receipt) => validSale(receipt)) }) });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { results?: { status: string; event_id: string }[]; error?: { code: string } } };
}

async function bufferedEventIds(disk: SimulatedDisk): Promise<string[]> {
  const buffer = await DiskBuffer.open<SaleEvent>(DIR, { fs: disk.fileSystem() });
  const records = await buffer.readFrom(0, 100_000, Number.MAX_SAFE_INTEGER);
  await buffer.close();
  return records.map((record) => record.payload.event_id);
}

const FAULTS: { kind: OpKind; code: FaultCode }[] = [
  { kind: 'append', code: 'ENOSPC' },
  { kind: 'append', code: 'EIO' },
  { kind: 'datasync', code: 'EIO' },
  { kind: 'datasync', code: 'ENOSPC' },
];

describe('store on a failing disk', () => {
  for (const { kind, code } of FAULTS) {
    for (const powerLoss of [false, true]) {
      it(`stops accepting with 503 on ${code} from ${kind}, reports it, and after a restart${powerLoss ? ' and a power cut' : ''} has lost nothing it acknowledged`, async () => {
        let disk = new SimulatedDisk(seededRandom(kind.length + code.length));
        const store = await start(disk);
        const first = await post(store, ['R1', 'R2', 'R3']);
        expect(first.status).toBe(202);
        const acknowledged = first.body.results!.map((result) => result.event_id);

        disk.failAtOp(1, code, [kind]);
        const refused = await post(store, ['R4']);
        expect(refused).toMatchObject({ status: 503, retryAfter: '30', body: { error: { code: 'RS_ERR_BUFFER_IO' } } });
        const ready = await fetch(`${store.url}/readyz`);
        expect(ready.status).toBe(503);
        expect(await ready.json()).toMatchObject({ buffer_state: 'failed', buffer_fault: { code: 'RS_ERR_BUFFER_IO', errno: code } });
        expect(store.status()).toMatchObject({ buffer_state: 'failed', buffer_fault: { errno: code } });

        disk.clearFault();
        expect((await post(store, ['R5'])).status).toBe(503); // fail-stop: a recovered disk is not trusted
        expect((await post(store, ['R1'])).status).toBe(503);
        await store.close();

        if (powerLoss) disk = disk.powerLoss();
        const restarted = await start(disk);
        expect(restarted.status()).toMatchObject({ buffer_state: 'open', buffer_fault: null });
        const retry = await post(restarted, ['R4', 'R1']);
        expect(retry.status).toBe(202);
        // The refused write was cut off at fail-stop, so R4 is new: never "duplicate" of bytes that a failed
        // fsync left only in the page cache (fsyncgate), which the power cut below would take away.
        expect(retry.body.results!.map((result) => result.status)).toEqual(['accepted', 'duplicate']);
        expect(retry.body.results![1]!.event_id).toBe(acknowledged[0]);
        await restarted.close();

        const stored = await bufferedEventIds(disk.powerLoss());
        expect(stored.slice(0, 3)).toEqual(acknowledged);
        expect(stored).toContain(retry.body.results![0]!.event_id);
        expect(stored).toHaveLength(4);
      });
    }
  }

  it('fail-stops when the ack cursor cannot be replaced, and reopens at the old or the new cursor', async () => {
    for (const kind of ['rename', 'fsyncDir', 'datasync'] as const) {
      const disk = new SimulatedDisk(seededRandom(3));
      const buffer = await DiskBuffer.open<string>(DIR + kind, { fs: disk.fileSystem(), groupCommitWaitMs: 0 });
      await buffer.append([() => 'a', () => 'b', () => 'c']);
      await buffer.ack(1);
      disk.failAtOp(1, 'EIO', [kind]);
      await expect(buffer.ack(2)).rejects.toMatchObject({ code: 'RS_ERR_BUFFER_IO' });
      expect(buffer.stats()).toMatchObject({ state: 'failed', fault: { errno: 'EIO' } });
      await expect(buffer.append([() => 'd'])).rejects.toMatchObject({ code: 'RS_ERR_BUFFER_IO' });

      const reopened = await DiskBuffer.open<string>(DIR + kind, { fs: disk.powerLoss().fileSystem() });
      expect([1, 2]).toContain(reopened.stats().ackedSeq);
      expect((await reopened.readFrom(reopened.stats().ackedSeq, 10, 1_000_000)).map((record) => record.payload)).toEqual(['a', 'b', 'c'].slice(reopened.stats().ackedSeq));
      await reopened.close();
    }
  });
});
