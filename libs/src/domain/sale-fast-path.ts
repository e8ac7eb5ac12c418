/**
 * The common case of sale validation without zod's machinery: a value that passes every rule of
 * saleSchema (sale.ts) comes back as the very object zod would build — same keys, same order, unknown
 * keys dropped, a missing discount_minor defaulted to 0; anything else comes back undefined and zod
 * judges it. Invariant: this never accepts what zod rejects and never differs from zod's output;
 * sale-fast-path.test.ts holds it against zod on valid and mutated sales.
 */
import { isCurrencyCode, isMinorAmount, MAX_MINOR } from './money.ts';
import type { Sale, SaleLine } from './sale.ts';
import { CUSTOMER_ID_MAX_LENGTH, IDENTIFIER, IDENTIFIER_MAX_LENGTH, INSTANT_MAX_LENGTH, INSTANT_WITH_OFFSET, isRealInstant, MAX_LINES_PER_SALE, MAX_QTY, PAYMENT_METHODS, SALE_TYPES } from './sale-rules.ts';

/** saleSchema's keys in its order: sale.test.ts fails when the schema gains one this file does not know. */
export const FAST_PATH_SALE_KEYS = ['store_id', 'terminal_id', 'receipt_no', 'occurred_at', 'type', 'original_receipt_no', 'currency', 'lines', 'tax_minor', 'total_minor', 'payment_method', 'customer_id'] as const;
export const FAST_PATH_LINE_KEYS = ['sku', 'qty', 'unit_price_minor', 'discount_minor'] as const;

const saleTypes: ReadonlySet<unknown> = new Set(SALE_TYPES);
const paymentMethods: ReadonlySet<unknown> = new Set(PAYMENT_METHODS);

type Loose = Record<string, unknown>;

function isRecord(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= IDENTIFIER_MAX_LENGTH && IDENTIFIER.test(value);
}

function isInstant(value: unknown): value is string {
  return typeof value === 'string' && value.length <= INSTANT_MAX_LENGTH && INSTANT_WITH_OFFSET.test(value) && isRealInstant(value);
}

/** An optional key as zod reads it: absent (`in` false) is fine, present must pass; `undefined` present is left to zod. */
function optionalOk(input: Loose, key: string, check: (value: unknown) => boolean): boolean {
  const value = input[key];
  return value === undefined ? !(key in input) : check(value);
}

function validLine(input: unknown): SaleLine | undefined {
  if (!isRecord(input)) return undefined;
  const { sku, qty, unit_price_minor } = input;
  const discount = input.discount_minor === undefined ? ('discount_minor' in input ? undefined : 0) : input.discount_minor;
  if (!isIdentifier(sku) || typeof qty !== 'number' || !Number.isSafeInteger(qty) || qty < 1 || qty > MAX_QTY) return undefined;
  if (!isMinorAmount(unit_price_minor) || !isMinorAmount(discount)) return undefined;
  const gross = qty * unit_price_minor;
  if (gross > MAX_MINOR || discount > gross) return undefined;
  return { sku, qty, unit_price_minor, discount_minor: discount };
}

/** The sale zod would return for `input`, or undefined when zod has to look (invalid, or unusual). */
export function validSaleOrUndefined(input: unknown): Sale | undefined {
  if (!isRecord(input)) return undefined;
  const { store_id, terminal_id, receipt_no, occurred_at, type, original_receipt_no, currency, lines, tax_minor, total_minor, payment_method, customer_id } = input;
  if (!isIdentifier(store_id) || !isIdentifier(terminal_id) || !isIdentifier(receipt_no) || !isInstant(occurred_at)) return undefined;
  if (!saleTypes.has(type) || !paymentMethods.has(payment_method) || !isCurrencyCode(currency)) return undefined;
  if (!optionalOk(input, 'original_receipt_no', isIdentifier)) return undefined;
  if (!optionalOk(input, 'customer_id', (value) => typeof value === 'string' && value.length >= 1 && value.length <= CUSTOMER_ID_MAX_LENGTH)) return undefined;
  // The schema's cross-field rules (its superRefine).
  if ((type === 'sale') === (original_receipt_no !== undefined)) return undefined;
  if (!Array.isArray(lines) || lines.length < 1 || lines.length > MAX_LINES_PER_SALE) return undefined;
  if (!isMinorAmount(tax_minor) || !isMinorAmount(total_minor)) return undefined;
  const validLines: SaleLine[] = [];
  let net = 0;
  for (const raw of lines) {
    const line = validLine(raw);
    if (!line) return undefined;
    validLines.push(line);
    net += line.qty * line.unit_price_minor - line.discount_minor;
  }
  if (total_minor !== net + tax_minor) return undefined;

  const sale: Loose = { store_id, terminal_id, receipt_no, occurred_at, type };
  if (original_receipt_no !== undefined) sale.original_receipt_no = original_receipt_no;
  sale.currency = currency;
  sale.lines = validLines;
  sale.tax_minor = tax_minor;
  sale.total_minor = total_minor;
  sale.payment_method = payment_method;
  if (customer_id !== undefined) sale.customer_id = customer_id;
  return sale as Sale;
}
