import { describe, expect, it } from 'vitest';
import { parseStrictJson } from './strict-json.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('parseStrictJson', () => {
  it('parses plain JSON and reports no duplicates', () => {
    expect(parseStrictJson(bytes('{"a":[1,{"b":"x\\"y"}],"c":null}'), 8)).toEqual({ ok: true, value: { a: [1, { b: 'x"y' }], c: null }, duplicateKeys: [] });
  });

  it('names every repeated key by its path, escaped spellings included', () => {
    const result = parseStrictJson(bytes('{"sales":[{"x":1},{"total_minor":1,"t\\u006ftal_minor":2}],"y":{"k":1,"k":2}}'), 8);
    expect(result).toMatchObject({ ok: true, duplicateKeys: [['sales', 1, 'total_minor'], ['y', 'k']] });
  });

  it('does not mistake string contents for structure', () => {
    const result = parseStrictJson(bytes('{"a":"{[,\\\\","b":"\\"a\\":"}'), 2);
    expect(result).toMatchObject({ ok: true, duplicateKeys: [] });
  });

  it('refuses malformed UTF-8, invalid JSON and deep nesting with a rule for the body', () => {
    expect(parseStrictJson(Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), 8)).toEqual({ ok: false, issue: { field: '(body)', rule: 'must be valid UTF-8' } });
    expect(parseStrictJson(bytes('{"a":'), 8)).toEqual({ ok: false, issue: { field: '(body)', rule: 'is not valid JSON' } });
    expect(parseStrictJson(bytes('[[[[1]]]]'), 3)).toEqual({ ok: false, issue: { field: '(body)', rule: 'must not nest deeper than 3 levels' } });
    expect(parseStrictJson(bytes('['.repeat(200_000)), 32)).toMatchObject({ ok: false });
  });
});
