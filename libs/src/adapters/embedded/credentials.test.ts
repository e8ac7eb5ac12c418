import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStoreCredentialContract } from '../../testing/index.ts';
import { EmbeddedStoreCredentials } from './credentials.ts';

describeStoreCredentialContract('embedded (DuckDB file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-credentials-'));
  const adapter = await EmbeddedStoreCredentials.open(join(dir, 'orders.duckdb'));
  return {
    adapter,
    cleanup: async () => {
      await adapter.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
