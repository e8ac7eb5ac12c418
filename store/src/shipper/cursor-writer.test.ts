import { describe, expect, it } from 'vitest';
import { CursorWriter } from './cursor-writer.ts';

function controlledWrites() {
  const writes: Array<{ seq: number; done: () => void; fail: (error: Error) => void }> = [];
  const write = (seq: number) => new Promise<void>((resolve, reject) => writes.push({ seq, done: resolve, fail: reject }));
  return { writes, write };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('CursorWriter', () => {
  it('runs one write at a time and folds the advances made meanwhile into the next write', async () => {
    const { writes, write } = controlledWrites();
    const cursor = new CursorWriter(write, 0);
    cursor.advance(100);
    cursor.advance(200);
    cursor.advance(300);
    expect(writes.map((w) => w.seq)).toEqual([100]);
    expect(cursor.unwritten).toBe(3);
    writes[0]!.done();
    await tick();
    expect(writes.map((w) => w.seq)).toEqual([100, 300]);
    expect(cursor.unwritten).toBe(2);
    writes[1]!.done();
    await cursor.flush();
    expect(cursor.unwritten).toBe(0);
  });

  it('never writes a lower seq than one already asked for', async () => {
    const { writes, write } = controlledWrites();
    const cursor = new CursorWriter(write, 50);
    cursor.advance(40);
    await tick();
    expect(writes).toEqual([]);
    cursor.advance(60);
    writes[0]!.done();
    await cursor.flush();
    expect(writes.map((w) => w.seq)).toEqual([60]);
  });

  it('keeps a failed write and throws it from the next advance and flush', async () => {
    const { writes, write } = controlledWrites();
    const cursor = new CursorWriter(write, 0);
    cursor.advance(10);
    writes[0]!.fail(new Error('EIO'));
    await expect(cursor.flush()).rejects.toThrow('EIO');
    expect(() => cursor.advance(20)).toThrow('EIO');
    expect(writes).toHaveLength(1);
  });
});
