/**
 * Business time: a sale belongs to the day and hour of the wall clock in the store's IANA timezone,
 * not UTC and not the offset the terminal sent. Intl does the tz database lookup, DST included.
 * Invariant: the answer is Intl's for every instant. Intl is slow (a worker calls this per sale), so the
 * zone's UTC offset is looked up once per UTC hour and reused for the instants of that hour, but only
 * when the offset is the same at the hour's first and last second (no transition inside it); an hour
 * holding a transition asks Intl for every instant.
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
      minute: '2-digit',
      second: '2-digit',
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

const HOUR_MS = 3_600_000;
/** Cached hours per zone before the zone's cache starts over (sales cluster around now: a few hours). */
const MAX_CACHED_HOURS = 10_000;
/** Per zone and UTC hour (ms / HOUR_MS): the zone's offset in ms, or null when it changes within the hour. */
const hourOffsets = new Map<string, Map<number, number | null>>();

function wallClockPartsOf(formatter: Intl.DateTimeFormat, date: Date): Record<string, string> {
  const parts: Record<string, string> = {};
  for (const part of formatter.formatToParts(date)) parts[part.type] = part.value;
  return parts;
}

/** The zone's wall clock at `ms` (whole seconds), read as if it were UTC, minus `ms`: its offset. */
function offsetAt(formatter: Intl.DateTimeFormat, ms: number): number {
  const parts = wallClockPartsOf(formatter, new Date(ms));
  return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)) - ms;
}

function offsetOfHour(timeZone: string, hour: number): number | null {
  let zone = hourOffsets.get(timeZone);
  if (!zone) hourOffsets.set(timeZone, (zone = new Map()));
  const cached = zone.get(hour);
  if (cached !== undefined) return cached;
  const formatter = formatterFor(timeZone);
  const start = hour * HOUR_MS;
  const first = offsetAt(formatter, start);
  const offset = first === offsetAt(formatter, start + HOUR_MS - 1000) ? first : null;
  if (zone.size >= MAX_CACHED_HOURS) zone.clear();
  zone.set(hour, offset);
  return offset;
}

/** Business date and hour of an instant in a timezone. Throws RangeError for an unknown zone. */
export function businessTimeOf(instant: Date | string, timeZone: string): BusinessTime {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`invalid instant: ${String(instant)}`);
  const offset = offsetOfHour(timeZone, Math.floor(ms / HOUR_MS));
  if (offset !== null) {
    const wallClock = new Date(ms + offset);
    return { businessDate: wallClock.toISOString().slice(0, 10), businessHour: wallClock.getUTCHours() };
  }
  const parts = wallClockPartsOf(formatterFor(timeZone), date);
  return {
    businessDate: `${parts.year}-${parts.month}-${parts.day}`,
    businessHour: Number(parts.hour),
  };
}

/**
 * An instant as the wall clock of an IANA timezone with its UTC offset, to the second, as a POS sends
 * `occurred_at`: 2026-03-08T09:15:00-05:00 (UTC is +00:00). Same offsets as businessTimeOf.
 */
export function localIsoWithOffset(instant: Date, timeZone: string): string {
  const ms = Math.floor(instant.getTime() / 1000) * 1000;
  if (Number.isNaN(ms)) throw new RangeError(`invalid instant: ${String(instant)}`);
  const offset = offsetOfHour(timeZone, Math.floor(ms / HOUR_MS)) ?? offsetAt(formatterFor(timeZone), ms);
  const minutes = Math.abs(offset) / 60_000;
  const sign = offset < 0 ? '-' : '+';
  return `${new Date(ms + offset).toISOString().slice(0, 19)}${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
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
