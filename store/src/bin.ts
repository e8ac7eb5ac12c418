/** Entry point of one store process: `tsx store/src/bin.ts` with RS_* env. */
import { createLogger } from '@retail-sync/libs/log';
import { loadStoreConfig, storeDataDir } from './config.ts';
import { startStore } from './store.ts';

const config = loadStoreConfig();
const logger = createLogger({ service: 'store', level: config.RS_LOG_LEVEL, bindings: { store_id: config.RS_STORE_ID } });
const store = await startStore(config, { logger });
logger.info({ url: store.url, dataDir: storeDataDir(config), central: config.RS_CENTRAL_GRPC_ENDPOINTS }, `store ${config.RS_STORE_ID} intake listening on ${store.url}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    store.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  });
}
