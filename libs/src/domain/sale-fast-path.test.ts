import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { identifierArbitrary as identifier, validSaleArbitrary } from '../testing/sale-arbitraries.ts';
import { saleLineSchema, saleSchema } from './sale.ts';
import { FAST_PATH_LINE_KEYS, FAST_PATH_SALE_KEYS, validSaleOrUndefined } from './sale-fast-path.ts';

/** Values a field may be set to: wrong types, edge numbers, limits and one past them. */
const oddValue = fc.oneof(
  fc.constantFrom(undefined, null, '', ' ', '0', 'USD', 'usd', 'XXY', 'sale', 'refund', 'card', 'a b', 'é', '-a', [], {}, [1], true, NaN, Infinity, -0, 0.5, -1),
  fc.constantFrom(1e15, 1e11, 1e11 + 1, 100_000, 100_001, 'x'.repeat(64), 'x'.repeat(65), 'c'.repeat(128), 'c'.repeat(129), Number.MAX_SAFE_INTEGER + 2),
  fc.constantFrom('2026-03-08T09:15:00Z', '2026-02-30T10:00:00Z', '2026-03-08T09:15:00+14:30', '2026-03-08T09:15:00', '1969-12-31T23:59:59Z', `2026-03-08T09:15:00.${'1'.repeat(20)}Z`),
  fc.integer({ min: -5, max: 200_000 }),
  fc.double(),
  fc.string({ maxLength: 130 }),
  identifier,
);
/** Valid sales: every rule holds, optional fields and unknown keys come and go. */
const sale = validSaleArbitrary();

/** Sets or deletes one field of a valid sale or of one of its lines. */
const mutated = fc.tuple(sale, fc.constantFrom(...FAST_PATH_SALE_KEYS, 'line'), fc.constantFrom(...FAST_PATH_LINE_KEYS), fc.boolean(), oddValue).map(([base, key, lineKey, remove, value]) => {
  const copy: Record<string, unknown> = { ...base, lines: (base.lines as object[]).map((l) => ({ ...l })) };
  const target = key === 'line' ? (copy.lines as Record<string, unknown>[])[0]! : copy;
  const field = key === 'line' ? lineKey : key;
  if (remove) delete target[field];
  else target[field] = value;
  return copy;
});

function agreesWithZod(input: unknown): boolean {
  const fast = validSaleOrUndefined(input);
  const zod = saleSchema.safeParse(input);
  if (fast !== undefined) {
    expect(zod.success, JSON.stringify(input)).toBe(true);
    expect(fast).toStrictEqual(zod.data);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data)); // key order: the buffer stores these bytes
  }
  return fast !== undefined;
}

describe('validSaleOrUndefined (the fast path of parseSale)', () => {
  it('knows every key of the schema, in its order', () => {
    expect(Object.keys(saleSchema.shape)).toEqual([...FAST_PATH_SALE_KEYS]);
    expect(Object.keys(saleLineSchema.shape)).toEqual([...FAST_PATH_LINE_KEYS]);
  });

  it('takes every valid sale and builds exactly what zod builds', () => {
    fc.assert(
      fc.property(sale, (input) => {
        expect(agreesWithZod(input)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('never accepts a sale zod rejects, whatever one field is set to or if it is missing', () => {
    fc.assert(fc.property(mutated, (input) => void agreesWithZod(input)), { numRuns: 5_000 });
  });

  it('leaves to zod a sale that adds up but breaks one numeric rule', () => {
    const valid = { store_id: 's1', terminal_id: 't1', receipt_no: 'r1', occurred_at: '2026-03-08T09:15:00Z', type: 'sale', currency: 'USD', payment_method: 'card' };
    type Line = { sku: string; qty: number; unit_price_minor: number; discount_minor: number };
    const withLines = (lines: Line[], tax = 0) => ({ ...valid, lines, tax_minor: tax, total_minor: lines.reduce((sum, l) => sum + l.qty * l.unit_price_minor - l.discount_minor, 0) + tax });
    const line = (qty: number, unit_price_minor: number, discount_minor = 0): Line => ({ sku: 'a', qty, unit_price_minor, discount_minor });
    expect(agreesWithZod(withLines([line(100_000, 10)]))).toBe(true);
    for (const broken of [
      withLines([line(1, 10, 11)], 100), // discount above the line's gross
      withLines([line(0, 10)]),
      withLines([line(100_001, 10)]),
      withLines([line(2, 60_000_000_000, 100_000_000_000)]), // gross above MAX_MINOR, net fine
      withLines([line(1, -5)], 10),
      withLines([line(1, 10, -1)]),
      withLines([line(1, 10)], -1),
      withLines([]),
      withLines(Array.from({ length: 501 }, () => line(1, 1))),
    ]) {
      expect(saleSchema.safeParse(broken).success, JSON.stringify(broken.lines.slice(0, 2))).toBe(false);
      expect(validSaleOrUndefined(broken)).toBeUndefined();
    }
  });

  it('leaves non-objects and present-but-undefined optional fields to zod', () => {
    for (const value of [null, 'sale', 1, [], [{}]]) expect(validSaleOrUndefined(value)).toBeUndefined();
    const base = fc.sample(sale.filter((input) => !('customer_id' in input)), { numRuns: 1, seed: 7 })[0]!;
    expect(agreesWithZod(base)).toBe(true);
    expect(validSaleOrUndefined({ ...base, customer_id: undefined })).toBeUndefined();
    expect(validSaleOrUndefined({ ...base, lines: [{ ...(base.lines as object[])[0], discount_minor: undefined }] })).toBeUndefined();
  });
});
