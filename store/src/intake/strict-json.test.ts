import fc from 'fast-check';
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

  it('finds a repeat that JSON.parse swallows, __proto__ and keys holding colons included', () => {
    expect(parseStrictJson(bytes('{"__proto__":{},"__proto__":1}'), 8)).toMatchObject({ ok: true, duplicateKeys: [['__proto__']] });
    expect(parseStrictJson(bytes('{"a:b":"c:d","x":[{"a:b":1,"a:b":{"q":":"}}]}'), 8)).toMatchObject({ ok: true, duplicateKeys: [['x', 0, 'a:b']] });
    expect(parseStrictJson(bytes('{"a":1,"b":{"c":{},"c":{"d":1}}}'), 8)).toMatchObject({ ok: true, duplicateKeys: [['b', 'c']] });
  });

  it('reports a repeated key exactly when the text has one, for any JSON', () => {
    const key = fc.constantFrom('a', 'b', '__proto__', 'k:1', 'x\\"y', '\u00e9', 'é', 'c');
    const tree = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.array(fc.tuple(key, tie('node')), { maxLength: 4 }).map((pairs) => ({ pairs })),
      ),
    })).node;
    const write = (node: unknown): string => {
      if (Array.isArray(node)) return `[${node.map(write).join(',')}]`;
      if (node !== null && typeof node === 'object') return `{${(node as { pairs: Array<[string, unknown]> }).pairs.map(([k, v]) => `"${k}":${write(v)}`).join(',')}}`;
      return JSON.stringify(node);
    };
    const repeats = (node: unknown): boolean => {
      if (Array.isArray(node)) return node.some(repeats);
      if (node === null || typeof node !== 'object') return false;
      const pairs = (node as { pairs: Array<[string, unknown]> }).pairs;
      const names = pairs.map(([k]) => JSON.parse(`"${k}"`) as string);
      return new Set(names).size < names.length || pairs.some(([, v]) => repeats(v));
    };
    fc.assert(
      fc.property(tree, (node) => {
        const result = parseStrictJson(bytes(write(node)), 64);
        expect(result.ok).toBe(true);
        expect(result.ok && result.duplicateKeys.length > 0).toBe(repeats(node));
      }),
      { numRuns: 2000 },
    );
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
