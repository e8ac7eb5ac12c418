import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configKeyDocs, DOC_FILES, renderEnvExample, renderReadme } from './lib/config-docs.ts';

describe('generated documentation', () => {
  it('documents every config key with its meaning', () => {
    const undocumented = configKeyDocs().filter((doc) => doc.meaning === '').map((doc) => doc.key);
    expect(undocumented).toEqual([]);
  });

  it('.env.example lists every key with its current default (run `npm run docs` after a config change)', () => {
    expect(readFileSync(DOC_FILES.envExample, 'utf8')).toBe(renderEnvExample());
  });

  it('README.md has the current configuration and error tables, so no error code goes undocumented (run `npm run docs`)', () => {
    const readme = readFileSync(DOC_FILES.readme, 'utf8');
    expect(readme).toBe(renderReadme(readme));
  });
});
