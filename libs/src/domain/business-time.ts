/**
 * Business time: a sale belongs to the day and hour of the wall clock in the store's IANA timezone,
 * not UTC and not the offset the terminal sent. Intl does the tz database lookup, DST included.
 */

export interface BusinessTime {
  /** YYYY-MM-DD in the store's timezone. */
  businessDate: string;
  /** 0–23 in the store's timezone. On a fall-back day hour 1 (say) holds two real hours. */
  businessHour: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when the runtime's tz database knows this zone name. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Business date and hour of an instant in a timezone. Throws RangeError for an unknown zone. */
export function businessTimeOf(instant: Date | string, timeZone: string): BusinessTime {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  if (Number.isNaN(date.getTime())) throw new RangeError(`invalid instant: ${String(instant)}`);
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(date)) parts[part.type] = part.value;
  return {
    businessDate: `${parts.year}-${parts.month}-${parts.day}`,
    businessHour: Number(parts.hour),
  };
}

/** Every date from `from` to `to` inclusive (YYYY-MM-DD), for backfills and reconciliation ranges. */
export function datesBetween(from: string, to: string): string[] {
  const dates: string[] = [];
  const cursor = new Date(`${from}T00:00:00Z`);
  const end = new Date(`${to}T00:00:00Z`);
  while (cursor <= end) {
    dates.push(cursor.toISOString().slice(0, 10));
    cursor.setUTCDate(cursor.getUTCDate() + 1);
  }
  return dates;
}
