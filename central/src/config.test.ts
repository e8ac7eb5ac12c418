import { DEV_STORE_KEY_SECRET } from '@retail-sync/libs/domain';
import { describe, expect, it } from 'vitest';
import { DEV_PII_KEY, loadCentralConfig } from './config.ts';

describe('central config', () => {
  it('has loopback, documented defaults', () => {
    const config = loadCentralConfig({});
    expect(config).toMatchObject({
      RS_CENTRAL_HOST: '127.0.0.1',
      RS_ADMIN_PORT: 8000,
      RS_GRPC_PORT: 50051,
      RS_STORE_KEY_SECRET: DEV_STORE_KEY_SECRET,
      RS_PII_KEY: DEV_PII_KEY,
      RS_CATALOG_PATH: 'data/seed/catalog.json',
      RS_WORKER_ATTEMPTS: 5,
      RS_CENTRAL_ROLES: ['ingest', 'worker', 'admin'],
      queueDbPath: 'data/central/queue.duckdb',
      ordersDbPath: 'data/central/orders.duckdb',
    });
  });

  it('derives database paths from RS_DATA_DIR and parses roles', () => {
    const config = loadCentralConfig({ RS_DATA_DIR: '/tmp/rs', RS_CENTRAL_ROLES: 'worker, admin' });
    expect(config.queueDbPath).toBe('/tmp/rs/central/queue.duckdb');
    expect(config.ordersDbPath).toBe('/tmp/rs/central/orders.duckdb');
    expect(config.RS_CENTRAL_ROLES).toEqual(['worker', 'admin']);
  });

  it('names the bad key in RS_ERR_CONFIG', () => {
    expect(() => loadCentralConfig({ RS_GRPC_PORT: 'seventy', RS_CENTRAL_ROLES: 'ingest,cook' })).toThrow(/RS_GRPC_PORT.*RS_CENTRAL_ROLES|RS_CENTRAL_ROLES.*RS_GRPC_PORT/);
  });
});
