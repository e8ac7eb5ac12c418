/**
 * The constants and checks a sale's rules are made of, shared by the zod schema (sale.ts) and its
 * hand-written fast path (sale-fast-path.ts), so the two cannot drift apart on a limit or a pattern.
 */

/** Identifiers: printable, no whitespace — they end up in keys, logs and file names. */
export const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:\-/]*$/;
export const IDENTIFIER_MAX_LENGTH = 64;
export const CUSTOMER_ID_MAX_LENGTH = 128;

export const INSTANT_MAX_LENGTH = 40;
export const INSTANT_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

export const MAX_QTY = 100_000;
export const SALE_TYPES = ['sale', 'refund', 'void'] as const;
export const PAYMENT_METHODS = ['cash', 'card', 'mobile', 'voucher', 'other'] as const;
/** Lines one receipt may carry; a POS batch cap lives in the store's config. */
export const MAX_LINES_PER_SALE = 500;

const INSTANT_PARTS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A real calendar date and time, offset within ±14:00 (the shape is INSTANT_WITH_OFFSET's to check). */
export function isRealInstant(value: string): boolean {
  const m = INSTANT_PARTS.exec(value);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const offH = Number(m[7] ?? 0);
  const offM = Number(m[8] ?? 0);
  if (year < 1970 || year > 2200) return false;
  if (month < 1 || month > 12 || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59) return false;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day < 1 || day > DAYS_IN_MONTH[month - 1]! + (leap ? 1 : 0)) return false;
  if (offH > 14 || offM > 59 || (offH === 14 && offM !== 0)) return false;
  return !Number.isNaN(Date.parse(value));
}
