/**
 * Business-date partitions: validation and the date arithmetic the scheduler needs. Dates are calendar
 * dates (YYYY-MM-DD) with no timezone of their own; each store's sales were already dated in its zone.
 */
import { datesBetween } from '@retail-sync/libs/domain';
import { dagsErrors } from '../errors.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isBusinessDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const instant = new Date(`${value}T00:00:00Z`);
  // Month 13 is an Invalid Date (toISOString would throw); Feb 30 rolls over to March.
  return !Number.isNaN(instant.getTime()) && instant.toISOString().slice(0, 10) === value;
}

export function assertBusinessDate(value: string): string {
  if (!isBusinessDate(value)) throw dagsErrors.create('RS_ERR_INVALID_PARTITION', `partition "${value}" is not a YYYY-MM-DD date`);
  return value;
}

/** Every date of [from, to], validated; throws RS_ERR_INVALID_PARTITION when from > to. */
export function partitionRange(from: string, to: string): string[] {
  assertBusinessDate(from);
  assertBusinessDate(to);
  if (from > to) throw dagsErrors.create('RS_ERR_INVALID_PARTITION', `range ${from}..${to} is empty (from > to)`);
  return datesBetween(from, to);
}

/** The UTC calendar date of an instant. */
export function utcDate(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  const cursor = new Date(`${date}T00:00:00Z`);
  cursor.setUTCDate(cursor.getUTCDate() + days);
  return cursor.toISOString().slice(0, 10);
}
