import { describe, expect, it } from 'vitest';
import { businessTimeOf, datesBetween, isValidTimeZone } from './business-time.ts';

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

  it('rejects unknown zones and invalid instants', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(() => businessTimeOf('not a date', 'UTC')).toThrow(RangeError);
  });

  it('lists a date range inclusively across month ends', () => {
    expect(datesBetween('2026-02-27', '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
  });
});
