/**
 * Entry point of a host process running several stores at once, for simulations with more stores than
 * a machine has room for processes (`npm run simulate -- --stores 200`):
 *   tsx store/src/multi-bin.ts --stores nyc-001,lon-001,… [--port-base 6000]
 * with the RS_* env of one store; RS_STORE_ID and RS_STORE_PORT are per store (port-base + i, or any
 * free port when the base is 0) and each store keeps its own buffer under RS_DATA_DIR/store/<id>,
 * its own shipper stream and its own GET /metrics. Once every store listens it prints ONE line on
 * stdout, {"stores":[{"store_id":…,"url":…}]}; logs go to stderr.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '@retail-sync/libs/log';
import { stopOnSignals } from '@retail-sync/libs/runtime';
import { loadStoreConfig } from './config.ts';
import { startStore, type RunningStore } from './store.ts';

/** Stores opened at once: each start reads its buffer and receipt index from disk. */
const START_CONCURRENCY = 10;

const { values } = parseArgs({ options: { stores: { type: 'string' }, 'port-base': { type: 'string', default: '0' } } });
const storeIds = (values.stores ?? '').split(',').map((id) => id.trim()).filter(Boolean);
const portBase = Number(values['port-base']);
if (storeIds.length === 0 || !Number.isInteger(portBase) || portBase < 0 || portBase + storeIds.length > 65_535) {
  process.stderr.write('usage: multi-bin.ts --stores <id,id,…> [--port-base <port, 0 = any free>]\n');
  process.exit(2);
}

const base = loadStoreConfig();
if (base.RS_STORE_IDENTITY_POOL) {
  // A host of several fixed stores claims nothing: scalable replicas are one store each (bin.ts).
  process.stderr.write('multi-bin.ts runs fixed stores; unset RS_STORE_IDENTITY_POOL or run store/src/bin.ts per replica\n');
  process.exit(2);
}
const logger = createLogger({ service: 'store', level: base.RS_LOG_LEVEL, destination: process.stderr });
const stores: RunningStore[] = [];
stopOnSignals(logger, () => Promise.all(stores.map((store) => store.close())));

for (let first = 0; first < storeIds.length; first += START_CONCURRENCY) {
  const started = await Promise.all(
    storeIds.slice(first, first + START_CONCURRENCY).map((storeId, offset) =>
      startStore(
        { ...base, RS_STORE_ID: storeId, RS_STORE_PORT: portBase === 0 ? 0 : portBase + first + offset, RS_STORE_DATA_DIR: undefined },
        { logger: logger.child({ store_id: storeId }), processMetrics: first + offset === 0 },
      ),
    ),
  );
  stores.push(...started);
}
logger.info({ stores: stores.length }, `store host: ${stores.length} stores listening`);
process.stdout.write(`${JSON.stringify({ stores: stores.map((store, i) => ({ store_id: storeIds[i], url: store.url })) })}\n`);
