/** Entry point of one store process: `tsx store/src/bin.ts` with RS_* env. */
import { createLogger } from '@retail-sync/libs/log';
import { stopOnSignals } from '@retail-sync/libs/runtime';
import { loadStoreConfig, storeDataDir } from './config.ts';
import { startStore } from './store.ts';

const config = loadStoreConfig();
const logger = createLogger({ service: 'store', level: config.RS_LOG_LEVEL, bindings: { store_id: config.RS_STORE_ID } });
const store = await startStore(config, { logger });
logger.info({ url: store.url, dataDir: storeDataDir(config), central: config.RS_CENTRAL_GRPC_ENDPOINTS }, `store ${config.RS_STORE_ID} intake listening on ${store.url}`);

stopOnSignals(logger, () => store.close());
