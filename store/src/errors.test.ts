import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commonErrors } from '@retail-sync/libs/errors';
import { storeErrors } from './errors.ts';

const SRC = fileURLToPath(new URL('.', import.meta.url));

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => (entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : Promise.resolve(entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [join(dir, entry.name)] : []))),
  );
  return nested.flat();
}

describe('store error catalogue', () => {
  it('documents every code with "Thrown when" and an HTTP status', () => {
    for (const [code, spec] of Object.entries(storeErrors.specs)) {
      expect(spec.description, code).toMatch(/^Thrown when /);
      expect(spec.httpStatus, code).toBeGreaterThanOrEqual(400);
    }
  });

  it('has every RS_ERR_ code the store source uses', async () => {
    const known = new Set([...Object.keys(storeErrors.specs), ...Object.keys(commonErrors.specs)]);
    const used = new Set<string>();
    for (const file of await sourceFiles(SRC)) {
      for (const match of (await readFile(file, 'utf8')).matchAll(/RS_ERR_[A-Z0-9_]+/g)) used.add(match[0]);
    }
    expect([...used].filter((code) => !known.has(code))).toEqual([]);
  });
});
