import { describe, expect, it } from 'vitest';
import { createLogger } from '@retail-sync/libs/log';
import type { StoreStatus } from './intake/index.ts';
import { createStoreMetrics } from './metrics.ts';
import type { BreakerState } from './shipper/index.ts';

const logger = createLogger({ service: 'store', level: 'silent' });

function statusOf(): StoreStatus {
  return {
    store_id: 'nyc-001',
    last_seq: 10,
    acked_seq: 4,
    buffered_records: 6,
    buffered_bytes: 3_000,
    quarantined: 0,
    oldest_unacked_at: null,
    buffer_state: 'open',
    buffer_fault: null,
    shipper: { endpoint: '10.0.0.2:50051', state: 'shipping', last_error: null },
  };
}

describe('store metrics', () => {
  it("exports each central endpoint's circuit breaker state, read at scrape time", async () => {
    const breakers: Array<{ endpoint: string; state: BreakerState }> = [
      { endpoint: '10.0.0.1:50051', state: 'open' },
      { endpoint: '10.0.0.2:50051', state: 'closed' },
    ];
    const metrics = createStoreMetrics({ storeId: 'nyc-001', status: statusOf, breakerStates: () => breakers, logger, processMetrics: false });
    const before = await metrics.registry.metrics();
    expect(before).toContain('retail_sync_store_shipper_breaker_state{store_id="nyc-001",endpoint="10.0.0.1:50051",state="open"} 1');
    expect(before).toContain('retail_sync_store_shipper_breaker_state{store_id="nyc-001",endpoint="10.0.0.1:50051",state="closed"} 0');
    expect(before).toContain('retail_sync_store_shipper_breaker_state{store_id="nyc-001",endpoint="10.0.0.1:50051",state="half-open"} 0');
    expect(before).toContain('retail_sync_store_shipper_breaker_state{store_id="nyc-001",endpoint="10.0.0.2:50051",state="closed"} 1');

    breakers[0] = { endpoint: '10.0.0.1:50051', state: 'half-open' };
    const after = await metrics.registry.metrics();
    expect(after).toContain('retail_sync_store_shipper_breaker_state{store_id="nyc-001",endpoint="10.0.0.1:50051",state="half-open"} 1');
    expect(after).toContain('retail_sync_store_shipper_breaker_state{store_id="nyc-001",endpoint="10.0.0.1:50051",state="open"} 0');
  });

  it('exports no breaker series for a transport without breakers (Kafka)', async () => {
    const metrics = createStoreMetrics({ storeId: 'nyc-001', status: statusOf, logger, processMetrics: false });
    const text = await metrics.registry.metrics();
    expect(text).not.toMatch(/^retail_sync_store_shipper_breaker_state\{/m);
    expect(text).toContain('retail_sync_store_shipper_state{store_id="nyc-001",state="shipping"} 1');
  });
});
