/**
 * The sale as a POS terminal sends it (snake_case on the wire). Validation here is the one source of
 * truth: the store's intake checks it before the durable append and central's worker checks it again
 * before the write, so a rule added here protects both hops. Every issue carries the field path.
 */
import { z } from 'zod';
import { currencyCode, lineNetMinor, MAX_MINOR, minorAmount } from './money.ts';
import { CUSTOMER_ID_MAX_LENGTH, IDENTIFIER, IDENTIFIER_MAX_LENGTH, INSTANT_MAX_LENGTH, INSTANT_WITH_OFFSET, isRealInstant, MAX_LINES_PER_SALE, MAX_QTY, PAYMENT_METHODS, SALE_TYPES } from './sale-rules.ts';
import { validSaleOrUndefined } from './sale-fast-path.ts';

export { MAX_LINES_PER_SALE, PAYMENT_METHODS, SALE_TYPES } from './sale-rules.ts';

/** Identifiers: printable, no whitespace, bounded — they end up in keys, logs and file names. */
const identifier = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` })
    .regex(IDENTIFIER, { error: 'may only contain letters, digits and . _ : - /' });

export const storeId = identifier(IDENTIFIER_MAX_LENGTH);

/** ISO 8601 instant with an explicit offset (or Z), a real calendar date, offset within ±14:00. */
export const isoInstantWithOffset = z
  .string({ error: 'must be an ISO 8601 timestamp string' })
  .max(INSTANT_MAX_LENGTH, { error: `must be at most ${INSTANT_MAX_LENGTH} characters` })
  .regex(INSTANT_WITH_OFFSET, {
    error: 'must be an ISO 8601 timestamp with an offset, e.g. 2026-03-08T09:15:00-05:00',
  })
  .refine(isRealInstant, { error: 'is not a real calendar date, time or offset' });

export const saleLineSchema = z.object({
  sku: identifier(IDENTIFIER_MAX_LENGTH),
  qty: z
    .number({ error: 'must be a positive integer' })
    .int({ error: 'must be a whole number of units' })
    .min(1, { error: 'must be at least 1' })
    .max(MAX_QTY, { error: `must be at most ${MAX_QTY}` }),
  unit_price_minor: minorAmount,
  discount_minor: minorAmount.default(0),
});

export const saleSchema = z
  .object({
    store_id: storeId,
    terminal_id: identifier(IDENTIFIER_MAX_LENGTH),
    receipt_no: identifier(IDENTIFIER_MAX_LENGTH),
    occurred_at: isoInstantWithOffset,
    type: z.enum(SALE_TYPES, { error: `must be one of ${SALE_TYPES.join(', ')}` }),
    /** The receipt a refund or void refers to (same terminal). Required for refund and void. */
    original_receipt_no: identifier(IDENTIFIER_MAX_LENGTH).optional(),
    currency: currencyCode,
    lines: z
      .array(saleLineSchema, { error: 'must be an array of lines' })
      .min(1, { error: 'must have at least one line' })
      .max(MAX_LINES_PER_SALE, { error: `must have at most ${MAX_LINES_PER_SALE} lines` }),
    tax_minor: minorAmount,
    total_minor: minorAmount,
    payment_method: z.enum(PAYMENT_METHODS, { error: `must be one of ${PAYMENT_METHODS.join(', ')}` }),
    /** PII: replaced by a keyed hash before anything reaches the warehouse; never logged. */
    customer_id: z.string().min(1).max(CUSTOMER_ID_MAX_LENGTH, { error: `must be at most ${CUSTOMER_ID_MAX_LENGTH} characters` }).optional(),
  })
  .superRefine((sale, ctx) => {
    if (sale.type !== 'sale' && !sale.original_receipt_no) {
      ctx.addIssue({ code: 'custom', path: ['original_receipt_no'], message: `is required for a ${sale.type}` });
    }
    if (sale.type === 'sale' && sale.original_receipt_no) {
      ctx.addIssue({ code: 'custom', path: ['original_receipt_no'], message: 'is only allowed on refund and void' });
    }
    let net = 0;
    sale.lines.forEach((line, index) => {
      const gross = line.qty * line.unit_price_minor;
      if (gross > MAX_MINOR) {
        ctx.addIssue({ code: 'custom', path: ['lines', index, 'unit_price_minor'], message: `qty × unit_price_minor must be at most ${MAX_MINOR}` });
      }
      if (line.discount_minor > gross) {
        ctx.addIssue({ code: 'custom', path: ['lines', index, 'discount_minor'], message: 'must not exceed qty × unit_price_minor' });
      }
      net += lineNetMinor(line);
    });
    const expected = net + sale.tax_minor;
    if (sale.total_minor !== expected) {
      ctx.addIssue({
        code: 'custom',
        path: ['total_minor'],
        message: `must equal the sum of line nets plus tax_minor (${expected}), got ${sale.total_minor}`,
      });
    }
  });

/** A validated sale. */
export type Sale = z.infer<typeof saleSchema>;
/** A sale as a terminal may send it: store_id is optional because the store fills in its own. */
export type SaleInput = z.input<typeof saleSchema>;
export type SaleLine = z.infer<typeof saleLineSchema>;
export type SaleType = (typeof SALE_TYPES)[number];

/** One validation problem, the field as a dotted path (`lines.2.qty`) and the rule it broke. */
export interface FieldIssue {
  field: string;
  rule: string;
}

export type SaleParseResult = { ok: true; sale: Sale } | { ok: false; issues: FieldIssue[] };

/**
 * Validates an unknown value as a sale; never throws. A sale that passes every rule is taken by a
 * hand-written check of the same rules with the same output (sale-fast-path.ts, ~10× cheaper); zod
 * judges the rest, so every rejection and its wording comes from the schema above.
 */
export function parseSale(value: unknown): SaleParseResult {
  const fast = validSaleOrUndefined(value);
  if (fast) return { ok: true, sale: fast };
  const result = saleSchema.safeParse(value);
  if (result.success) return { ok: true, sale: result.data };
  return { ok: false, issues: toFieldIssues(result.error) };
}

export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)',
    rule: issue.message,
  }));
}

/** Signed amount for analytics: refunds and voids take money back. */
export function signedTotalMinor(sale: Pick<Sale, 'type' | 'total_minor'>): number {
  return sale.type === 'sale' ? sale.total_minor : -sale.total_minor;
}
