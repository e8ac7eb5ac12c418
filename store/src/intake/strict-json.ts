/**
 * JSON as intake accepts it: UTF-8 only (a malformed byte is an error, never a silent U+FFFD), at most
 * `maxDepth` levels of nesting, and every key at most once per object. JSON.parse keeps the last of
 * duplicate keys while other parsers keep the first, so a receipt with `"total_minor"` twice could mean
 * one thing here and another downstream: we refuse it instead, naming where it was.
 *
 * Cost: JSON.parse, then one allocation-free pass over the text that checks the depth and counts the
 * keys written (a `:` outside a string is one key), compared with the keys JSON.parse kept. Only when
 * the two differ (a key was repeated: JSON.parse kept one) does the slower scan run to name each repeat.
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
  const written = keysWritten(text, maxDepth);
  if (written === TOO_DEEP) return tooDeep(maxDepth);
  if (written === keysKept(value)) return { ok: true, value, duplicateKeys: [] };
  return scan(text, value, maxDepth);
}

const TOO_DEEP = -1;

function tooDeep(maxDepth: number): StrictJsonResult {
  return { ok: false, issue: { field: '(body)', rule: `must not nest deeper than ${maxDepth} levels` } };
}

/** Keys written in the (already valid) text, or TOO_DEEP: the same depth rule as `scan`, without the path. */
function keysWritten(text: string, maxDepth: number): number {
  let depth = 0;
  let keys = 0;
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charCodeAt(i);
    if (char === 0x22 /* " */) i = closingQuote(text, i);
    else if (char === 0x3a /* : */) keys += 1;
    else if (char === 0x7b /* { */ || char === 0x5b /* [ */) {
      if (depth >= maxDepth) return TOO_DEEP;
      depth += 1;
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) depth -= 1;
  }
  return keys;
}

/** Own keys of every object JSON.parse built (one object per `{` of the text; a repeated key is kept once). */
function keysKept(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let keys = 0;
  if (Array.isArray(value)) {
    for (const item of value) keys += keysKept(item);
    return keys;
  }
  for (const key of Object.keys(value)) keys += 1 + keysKept((value as Record<string, unknown>)[key]);
  return keys;
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
      if (stack.length >= maxDepth) return tooDeep(maxDepth);
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
