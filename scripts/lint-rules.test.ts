import { ESLint } from 'eslint';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './lib/stack.ts';

const eslint = new ESLint({ cwd: REPO_ROOT });

async function importErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: join(REPO_ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('architecture lint rules', () => {
  it('forbids a service importing another service', async () => {
    expect(await importErrors('store/src/x.ts', "import { startCentral } from '@retail-sync/central';\nexport const x = startCentral;\n")).toEqual([
      expect.stringContaining('services never import each other'),
    ]);
    expect(await importErrors('dags/src/x.ts', "import { x } from '../../central/src/main.ts';\nexport const y = x;\n")).toHaveLength(1);
  });

  it("forbids deep imports into another package's src/ and libs depending on a service", async () => {
    expect(await importErrors('central/src/x.ts', "import { x } from '@retail-sync/libs/src/domain/sale.ts';\nexport const y = x;\n")).toEqual([
      expect.stringContaining('public exports'),
    ]);
    expect(await importErrors('libs/src/x.ts', "import { x } from '@retail-sync/store';\nexport const y = x;\n")).toEqual([expect.stringContaining('libs must not depend on a service')]);
  });

  it('allows a service to use libs through its public exports', async () => {
    expect(await importErrors('store/src/x.ts', "import { parseSale } from '@retail-sync/libs/domain';\nexport const y = parseSale;\n")).toEqual([]);
  });
});
