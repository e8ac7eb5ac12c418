import { describe, expect, it } from 'vitest';
import { businessTimeOf, datesBetween, isValidTimeZone, localIsoWithOffset } from './business-time.ts';

describe('business time', () => {
  it('puts a late-evening UTC sale on the previous business day in New York', () => {
    expect(businessTimeOf('2026-01-15T03:30:00Z', 'America/New_York')).toEqual({ businessDate: '2026-01-14', businessHour: 22 });
  });

  it('follows the spring-forward gap in America/New_York (2026-03-08: 02:00 EST → 03:00 EDT)', () => {
    // 06:59Z is 01:59 EST; 07:00Z is 03:00 EDT — hour 2 never happens that day
    expect(businessTimeOf('2026-03-08T06:59:00Z', 'America/New_York')).toEqual({ businessDate: '2026-03-08', businessHour: 1 });
    expect(businessTimeOf('2026-03-08T07:00:00Z', 'America/New_York')).toEqual({ businessDate: '2026-03-08', businessHour: 3 });
    // the day's last minute is 03:59Z next day (UTC−4 after the change, not −5)
    expect(businessTimeOf('2026-03-09T03:59:00Z', 'America/New_York').businessDate).toBe('2026-03-08');
    expect(businessTimeOf('2026-03-09T04:00:00Z', 'America/New_York').businessDate).toBe('2026-03-09');
  });

  it('counts the repeated hour twice on the fall-back day in America/New_York (2026-11-01)', () => {
    expect(businessTimeOf('2026-11-01T05:30:00Z', 'America/New_York')).toEqual({ businessDate: '2026-11-01', businessHour: 1 });
    expect(businessTimeOf('2026-11-01T06:30:00Z', 'America/New_York')).toEqual({ businessDate: '2026-11-01', businessHour: 1 });
    expect(businessTimeOf('2026-11-02T04:59:00Z', 'America/New_York').businessDate).toBe('2026-11-01');
  });

  it('follows Europe/Berlin across its own DST dates (2026-03-29 and 2026-10-25)', () => {
    expect(businessTimeOf('2026-03-29T00:59:00Z', 'Europe/Berlin')).toEqual({ businessDate: '2026-03-29', businessHour: 1 });
    expect(businessTimeOf('2026-03-29T01:00:00Z', 'Europe/Berlin')).toEqual({ businessDate: '2026-03-29', businessHour: 3 });
    expect(businessTimeOf('2026-03-29T22:30:00Z', 'Europe/Berlin').businessDate).toBe('2026-03-30');
    expect(businessTimeOf('2026-10-25T00:30:00Z', 'Europe/Berlin')).toEqual({ businessDate: '2026-10-25', businessHour: 2 });
    expect(businessTimeOf('2026-10-25T01:30:00Z', 'Europe/Berlin')).toEqual({ businessDate: '2026-10-25', businessHour: 2 });
    expect(businessTimeOf('2026-10-25T22:30:00Z', 'Europe/Berlin').businessDate).toBe('2026-10-25');
  });

  it('uses the store timezone, not the offset the terminal sent', () => {
    // a Berlin store whose terminal clock sends UTC: 23:30Z is 00:30 the next day in Berlin (winter)
    expect(businessTimeOf('2026-01-10T23:30:00+00:00', 'Europe/Berlin').businessDate).toBe('2026-01-11');
  });

  it("agrees with Intl's wall clock at every instant, across DST changes and half-hour zones", () => {
    const zones = ['America/New_York', 'Europe/Berlin', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/St_Johns'];
    for (const timeZone of zones) {
      const intl = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' });
      const mismatches: string[] = [];
      // A step of 17 min 13 s lands on every minute offset within an hour over the year.
      for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 1_033_000) {
        const parts = Object.fromEntries(intl.formatToParts(new Date(ms)).map((part) => [part.type, part.value]));
        const expected = { businessDate: `${parts.year}-${parts.month}-${parts.day}`, businessHour: Number(parts.hour) };
        const actual = businessTimeOf(new Date(ms), timeZone);
        if (actual.businessDate !== expected.businessDate || actual.businessHour !== expected.businessHour) mismatches.push(new Date(ms).toISOString());
      }
      expect({ timeZone, mismatches }).toEqual({ timeZone, mismatches: [] });
    }
  });

  it('rejects unknown zones and invalid instants', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(() => businessTimeOf('not a date', 'UTC')).toThrow(RangeError);
  });

  it('lists a date range inclusively across month ends', () => {
    expect(datesBetween('2026-02-27', '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
  });

  it('writes an instant as the zone\'s wall clock with its offset, to the second, across DST and odd offsets', () => {
    expect(localIsoWithOffset(new Date('2026-03-08T14:15:00.999Z'), 'America/New_York')).toBe('2026-03-08T10:15:00-04:00');
    expect(localIsoWithOffset(new Date('2026-03-08T06:59:59Z'), 'America/New_York')).toBe('2026-03-08T01:59:59-05:00');
    expect(localIsoWithOffset(new Date('2026-03-08T07:00:00Z'), 'America/New_York')).toBe('2026-03-08T03:00:00-04:00');
    expect(localIsoWithOffset(new Date('2026-06-01T12:00:00Z'), 'Asia/Kathmandu')).toBe('2026-06-01T17:45:00+05:45');
    expect(localIsoWithOffset(new Date('2026-06-01T12:00:00Z'), 'America/St_Johns')).toBe('2026-06-01T09:30:00-02:30');
    expect(localIsoWithOffset(new Date('2026-01-01T00:00:00Z'), 'UTC')).toBe('2026-01-01T00:00:00+00:00');
  });

  it('agrees with Intl\'s own wall clock and offset on every 28 min 53 s over two years in DST zones', () => {
    const zones = ['America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Pacific/Chatham'];
    for (const timeZone of zones) {
      const intl = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset' });
      for (let ms = Date.UTC(2025, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 1_733_000) {
        const parts = Object.fromEntries(intl.formatToParts(new Date(ms)).map((part) => [part.type, part.value]));
        const expected = `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${(parts.timeZoneName ?? 'GMT').replace('GMT', '') || '+00:00'}`;
        const actual = localIsoWithOffset(new Date(ms), timeZone);
        if (actual !== expected) expect({ timeZone, at: new Date(ms).toISOString(), actual }).toEqual({ timeZone, at: new Date(ms).toISOString(), actual: expected });
      }
    }
  });
});
