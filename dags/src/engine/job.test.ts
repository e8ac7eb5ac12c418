import { describe, expect, it } from 'vitest';
import { defineJob, isScheduleDue } from './job.ts';

const task = (deps: string[] = []) => ({ deps, run: async () => 0 });

describe('defineJob', () => {
  it('orders tasks so every dependency comes first, keeping declaration order among ready tasks', () => {
    const job = defineJob({ id: 'j', schedule: '* * * * *', partition: 'business_date', tasks: { c: task(['b']), a: task(), b: task(['a']), d: task(['a']) } });
    expect(job.order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('rejects a dependency cycle', () => {
    expect(() => defineJob({ id: 'j', schedule: '* * * * *', partition: 'business_date', tasks: { a: task(['b']), b: task(['a']) } })).toThrow(
      expect.objectContaining({ code: 'RS_ERR_JOB_DEFINITION', message: expect.stringContaining('cycle') }),
    );
  });

  it('rejects an unknown dependency, a bad cron and a bad id', () => {
    expect(() => defineJob({ id: 'j', schedule: '* * * * *', partition: 'business_date', tasks: { a: task(['zz']) } })).toThrow(expect.objectContaining({ code: 'RS_ERR_JOB_DEFINITION' }));
    expect(() => defineJob({ id: 'j', schedule: 'every minute', partition: 'business_date', tasks: { a: task() } })).toThrow(expect.objectContaining({ code: 'RS_ERR_JOB_DEFINITION' }));
    expect(() => defineJob({ id: 'Bad-Id', schedule: '* * * * *', partition: 'business_date', tasks: { a: task() } })).toThrow(expect.objectContaining({ code: 'RS_ERR_JOB_DEFINITION' }));
  });
});

describe('isScheduleDue', () => {
  it('is due when the pattern fired since the last run (UTC)', () => {
    expect(isScheduleDue('0 2 * * *', new Date('2026-03-01T01:00:00Z'), new Date('2026-03-01T02:00:00Z'))).toBe(true);
    expect(isScheduleDue('0 2 * * *', new Date('2026-03-01T02:00:00Z'), new Date('2026-03-02T01:59:00Z'))).toBe(false);
  });
});
