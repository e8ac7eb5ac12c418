import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseSale, signedTotalMinor, type SaleInput } from './sale.ts';

function validSale(overrides: Partial<SaleInput> = {}): SaleInput {
  return {
    store_id: 'nyc-001',
    terminal_id: 't1',
    receipt_no: 'r-1001',
    occurred_at: '2026-03-08T09:15:00-04:00',
    type: 'sale',
    currency: 'USD',
    lines: [
      { sku: 'milk-1l', qty: 2, unit_price_minor: 149, discount_minor: 0 },
      { sku: 'coffee-beans-500g', qty: 1, unit_price_minor: 1299, discount_minor: 100 },
    ],
    tax_minor: 120,
    total_minor: 2 * 149 + 1299 - 100 + 120,
    payment_method: 'card',
    ...overrides,
  };
}

function issuesOf(value: unknown) {
  const result = parseSale(value);
  if (result.ok) throw new Error('expected the sale to be rejected');
  return result.issues;
}

describe('sale schema', () => {
  it('accepts a sale whose totals add up and defaults a missing discount to 0', () => {
    const input = validSale();
    delete (input.lines[0] as { discount_minor?: number }).discount_minor;
    const result = parseSale(input);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.sale.lines[0]!.discount_minor).toBe(0);
  });

  it('rejects a total that does not add up, naming total_minor and the expected amount', () => {
    const issues = issuesOf(validSale({ total_minor: 1 }));
    expect(issues).toEqual([{ field: 'total_minor', rule: expect.stringContaining('(1617)') }]);
  });

  it('rejects a float amount naming the line field', () => {
    const sale = validSale();
    sale.lines[1]!.unit_price_minor = 12.99;
    expect(issuesOf(sale).map((issue) => issue.field)).toContain('lines.1.unit_price_minor');
  });

  it('rejects money sent as a string, negative money and amounts above the cap', () => {
    expect(issuesOf(validSale({ tax_minor: '120' as unknown as number }))[0]!.field).toBe('tax_minor');
    expect(issuesOf(validSale({ tax_minor: -1 }))[0]!.field).toBe('tax_minor');
    expect(issuesOf(validSale({ tax_minor: 1e15 })).map((i) => i.field)).toContain('tax_minor');
  });

  it('rejects a discount larger than the line', () => {
    const sale = validSale();
    sale.lines[0]!.discount_minor = 1000;
    expect(issuesOf(sale).map((i) => i.field)).toContain('lines.0.discount_minor');
  });

  it('rejects unknown currencies and lower-case codes', () => {
    expect(issuesOf(validSale({ currency: 'XXY' }))[0]!.field).toBe('currency');
    expect(issuesOf(validSale({ currency: 'usd' }))[0]!.field).toBe('currency');
  });

  it('rejects timestamps without an offset, impossible dates and impossible offsets', () => {
    for (const occurred_at of ['2026-03-08T09:15:00', '2026-02-30T10:00:00Z', '2026-03-08T25:00:00Z', '2026-03-08T09:15:00+15:00', 'yesterday']) {
      expect(issuesOf(validSale({ occurred_at }))[0]!.field, occurred_at).toBe('occurred_at');
    }
  });

  it('requires refunds and voids to reference the original receipt', () => {
    expect(issuesOf(validSale({ type: 'refund' }))[0]!.field).toBe('original_receipt_no');
    expect(parseSale(validSale({ type: 'void', original_receipt_no: 'r-1000' })).ok).toBe(true);
    expect(issuesOf(validSale({ original_receipt_no: 'r-1000' }))[0]!.field).toBe('original_receipt_no');
  });

  it('names the body when the value is not an object', () => {
    expect(issuesOf('a string')[0]!.field).toBe('(body)');
  });

  it('signs refunds and voids negative for analytics', () => {
    expect(signedTotalMinor({ type: 'sale', total_minor: 500 })).toBe(500);
    expect(signedTotalMinor({ type: 'refund', total_minor: 500 })).toBe(-500);
    expect(signedTotalMinor({ type: 'void', total_minor: 500 })).toBe(-500);
  });

  it('accepts every integer basket whose total is computed from its lines (property)', () => {
    const line = fc.record({
      sku: fc.constantFrom('a', 'b-2', 'c.3'),
      qty: fc.integer({ min: 1, max: 50 }),
      unit_price_minor: fc.integer({ min: 0, max: 100_000 }),
    });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 10_000 }), (lines, tax) => {
        const withDiscount = lines.map((l) => ({ ...l, discount_minor: Math.floor((l.qty * l.unit_price_minor) / 10) }));
        const total = withDiscount.reduce((sum, l) => sum + l.qty * l.unit_price_minor - l.discount_minor, 0) + tax;
        expect(parseSale(validSale({ lines: withDiscount, tax_minor: tax, total_minor: total })).ok).toBe(true);
        expect(parseSale(validSale({ lines: withDiscount, tax_minor: tax, total_minor: total + 1 })).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
