/**
 * JSON as intake accepts it: UTF-8 only (a malformed byte is an error, never a silent U+FFFD), at most
 * `maxDepth` levels of nesting, and every key at most once per object. JSON.parse keeps the last of
 * duplicate keys while other parsers keep the first, so a receipt with `"total_minor"` twice could mean
 * one thing here and another downstream: we refuse it instead, naming where it was.
 */
import type { FieldIssue } from '@retail-sync/libs/domain';

export type StrictJsonResult = { ok: true; value: unknown; duplicateKeys: Array<Array<string | number>> } | { ok: false; issue: FieldIssue };

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseStrictJson(bytes: Uint8Array, maxDepth: number): StrictJsonResult {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, issue: { field: '(body)', rule: 'must be valid UTF-8' } };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, issue: { field: '(body)', rule: 'is not valid JSON' } };
  }
  return scan(text, value, maxDepth);
}

type Frame = { kind: 'object'; keys: Set<string>; key: string | undefined; awaitingKey: boolean } | { kind: 'array'; index: number };

/** Walks the (already valid) text once, tracking the path, to find nesting depth and repeated keys. */
function scan(text: string, value: unknown, maxDepth: number): StrictJsonResult {
  const stack: Frame[] = [];
  const duplicateKeys: Array<Array<string | number>> = [];
  const path = () => stack.slice(0, -1).map((frame) => (frame.kind === 'object' ? frame.key ?? '' : frame.index));
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charCodeAt(i);
    if (char === 0x7b /* { */ || char === 0x5b /* [ */) {
      if (stack.length >= maxDepth) return { ok: false, issue: { field: '(body)', rule: `must not nest deeper than ${maxDepth} levels` } };
      stack.push(char === 0x7b ? { kind: 'object', keys: new Set(), key: undefined, awaitingKey: true } : { kind: 'array', index: 0 });
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      stack.pop();
    } else if (char === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.kind === 'array') top.index += 1;
      else if (top) top.awaitingKey = true;
    } else if (char === 0x22 /* " */) {
      const end = closingQuote(text, i);
      const top = stack[stack.length - 1];
      if (top?.kind === 'object' && top.awaitingKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string; // "a" and "\u0061" are the same key
        top.awaitingKey = false;
        top.key = key;
        if (top.keys.has(key)) duplicateKeys.push([...path(), key]);
        top.keys.add(key);
      }
      i = end;
    }
  }
  return { ok: true, value, duplicateKeys };
}

function closingQuote(text: string, open: number): number {
  let at = open + 1;
  for (;;) {
    const quote = text.indexOf('"', at);
    let backslashes = 0;
    for (let j = quote - 1; text.charCodeAt(j) === 0x5c; j -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return quote;
    at = quote + 1;
  }
}
