/**
 * Money is integer minor units (cents, pence, yen) end to end: never a float, never a string.
 * The cap keeps every sum we compute (lines × qty, a day of a store) inside Number.MAX_SAFE_INTEGER.
 */
import { z } from 'zod';

/** Largest amount one field may carry: 10^11 minor units (a billion in a 2-decimal currency). */
export const MAX_MINOR = 100_000_000_000;

/** A non-negative integer amount of minor units, rejected with a clear rule when it is a float or too big. */
export const minorAmount = z
  .number({ error: 'must be an integer number of minor units' })
  .int({ error: 'must be an integer number of minor units (no fractions)' })
  .nonnegative({ error: 'must not be negative' })
  .max(MAX_MINOR, { error: `must be at most ${MAX_MINOR} minor units` });

const knownCurrencies = new Set(Intl.supportedValuesOf('currency'));
const CURRENCY_CODE = /^[A-Z]{3}$/;

/** An ISO 4217 code the runtime knows (Intl's list), upper case. */
export const currencyCode = z
  .string()
  .regex(CURRENCY_CODE, { error: 'must be a 3-letter upper-case ISO 4217 code' })
  .refine((code) => knownCurrencies.has(code), { error: 'is not a known ISO 4217 currency' });

/** What `currencyCode` accepts, as a plain predicate (sale-fast-path.ts). */
export function isCurrencyCode(value: unknown): value is string {
  return typeof value === 'string' && CURRENCY_CODE.test(value) && knownCurrencies.has(value);
}

/** What `minorAmount` accepts, as a plain predicate (sale-fast-path.ts). */
export function isMinorAmount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_MINOR;
}

/** Net amount of one line: qty × unit price − discount, all in minor units. */
export function lineNetMinor(line: { qty: number; unit_price_minor: number; discount_minor: number }): number {
  return line.qty * line.unit_price_minor - line.discount_minor;
}
