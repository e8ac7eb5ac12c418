import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dagsErrors } from './errors.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('dags error catalogue', () => {
  const codes = Object.keys(dagsErrors.specs) as Array<keyof typeof dagsErrors.specs>;

  it('documents every code in dags/README.md', () => {
    const undocumented = codes.filter((code) => !readme.includes(`\`${code}\``));
    expect(undocumented).toEqual([]);
  });

  it('says when each error is thrown and whether a retry helps', () => {
    for (const code of codes) {
      const spec = dagsErrors.specs[code];
      expect(spec.description, code).toMatch(/^Thrown (when|at) /);
      expect(typeof spec.retriable, code).toBe('boolean');
      expect(spec.httpStatus, code).toBeGreaterThanOrEqual(400);
    }
  });

  it('classifies by code, also after a JSON round trip', () => {
    const error = dagsErrors.create('RS_ERR_LEASE_HELD', 'held');
    expect(dagsErrors.is(JSON.parse(JSON.stringify(error.toJSON())), 'RS_ERR_LEASE_HELD')).toBe(true);
  });
});
