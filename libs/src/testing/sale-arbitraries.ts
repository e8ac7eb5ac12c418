/**
 * fast-check generators of valid sales (every rule of the sale schema holds), for the property tests
 * that compare a fast path with the schema: the validation fast path (libs) and the record serialiser
 * (store intake). Optional fields and unknown keys come and go; amounts stay under the schema's caps.
 */
import fc from 'fast-check';

/** IDENTIFIER strings: ASCII letters, digits and . _ : - /, up to the 64-character limit. */
export const identifierArbitrary = fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:\-/]{0,20}$/), fc.constantFrom('x'.repeat(64), 'a.b:c-d/e_f'));

/** ISO-8601 instants with a zone: UTC over three centuries, offsets, nanoseconds, a leap day. */
export const instantArbitrary = fc.oneof(
  fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-12-31T23:59:59Z'), noInvalidDate: true }).map((date) => date.toISOString()),
  fc.constantFrom('2026-03-08T09:15:00-05:00', '2026-03-08T09:15:00.123456789+14:00', '2024-02-29T23:59:59Z'),
);

/** Sale lines, discount present or not, with the quantity and unit price limits included. */
export const saleLineArbitrary = fc
  .record({ sku: identifierArbitrary, qty: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constant(100_000)), unit_price_minor: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.constant(1_000_000)), cut: fc.double({ min: 0, max: 1, noNaN: true }), omitDiscount: fc.boolean() })
  .filter(({ qty, unit_price_minor }) => qty * unit_price_minor <= 1e10) // six lines stay under MAX_MINOR
  .map(({ sku, qty, unit_price_minor, cut, omitDiscount }) => (omitDiscount ? { sku, qty, unit_price_minor } : { sku, qty, unit_price_minor, discount_minor: Math.floor(qty * unit_price_minor * cut) }));

export interface SaleArbitraryOptions {
  /** Whether the sale carries store_id (a POS may leave it to the store). @default true */
  storeId?: boolean;
  /** customer_id values (the one free-text field). @default short strings and the 128-character limit */
  customerId?: fc.Arbitrary<string>;
  /** Values of an unknown key the schema strips. @default fc.anything() */
  unknownKey?: fc.Arbitrary<unknown>;
}

/** Valid sales as plain objects, total_minor consistent with the lines and tax. */
export function validSaleArbitrary(options: SaleArbitraryOptions = {}): fc.Arbitrary<Record<string, unknown>> {
  const withStoreId = options.storeId ?? true;
  return fc
    .record(
      {
        store_id: identifierArbitrary,
        terminal_id: identifierArbitrary,
        receipt_no: identifierArbitrary,
        occurred_at: instantArbitrary,
        type: fc.constantFrom('sale', 'refund', 'void'),
        original_receipt_no: identifierArbitrary,
        currency: fc.constantFrom('USD', 'EUR', 'JPY', 'GBP'),
        lines: fc.array(saleLineArbitrary, { minLength: 1, maxLength: 6 }),
        tax_minor: fc.integer({ min: 0, max: 1_000 }),
        payment_method: fc.constantFrom('cash', 'card', 'mobile', 'voucher', 'other'),
        customer_id: options.customerId ?? fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constant('c'.repeat(128))),
        unknown_key: options.unknownKey ?? fc.anything(),
      },
      { requiredKeys: ['store_id', 'terminal_id', 'receipt_no', 'occurred_at', 'type', 'original_receipt_no', 'currency', 'lines', 'tax_minor', 'payment_method'] },
    )
    .map((base) => {
      const { original_receipt_no, store_id, ...rest } = base;
      const net = base.lines.reduce((sum, l) => sum + l.qty * l.unit_price_minor - (l.discount_minor ?? 0), 0);
      return { ...(withStoreId ? { store_id } : {}), ...rest, ...(base.type === 'sale' ? {} : { original_receipt_no }), total_minor: net + base.tax_minor } as Record<string, unknown>;
    });
}
