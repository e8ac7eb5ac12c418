import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newEventId } from '@retail-sync/libs/domain';
import { ReceiptLineWriter } from './receipt-line.ts';

function uuidBytes(id: string): Uint8Array {
  return Buffer.from(id.replaceAll('-', ''), 'hex');
}

describe('ReceiptLineWriter', () => {
  it('writes exactly JSON.stringify({k, e, s, a}) per line, for any key, odd id and number', () => {
    const number = fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(0, -0, 1, 9, 10, 1e15, Date.now(), -1, 1.5, 2 ** 60));
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('["t1","R1","sale"]', '"\\', '\u0000\u007f\u0080', '\ud800', '😀'));
    const line = fc.record({ key: text, uuid: fc.boolean(), oddId: text, seq: number, at: number });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 30 }), (lines) => {
        const writer = new ReceiptLineWriter(1); // grows as it goes
        let expected = '';
        for (const { key, uuid, oddId, seq, at } of lines) {
          const eventId = uuid ? newEventId() : oddId;
          writer.add(key, uuid ? uuidBytes(eventId) : new Uint8Array(16), 0, uuid ? undefined : oddId, seq, at);
          expected += `${JSON.stringify({ k: key, e: eventId, s: seq, a: at })}\n`;
        }
        expect(writer.lines).toBe(lines.length);
        expect(writer.text().toString('utf8')).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});
