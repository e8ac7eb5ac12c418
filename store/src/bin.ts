/**
 * Entry point of one store process: `tsx store/src/bin.ts` with RS_* env. With RS_STORE_IDENTITY_POOL
 * it first claims one shop from the pool (a scalable replica); the claim is released only after the
 * store closed its buffer, and a lost claim stops the process at once, before it can write again.
 */
import { hostname } from 'node:os';
import { createLogger } from '@retail-sync/libs/log';
import { stopOnSignals } from '@retail-sync/libs/runtime';
import { loadStoreConfig, storeDataDir, type StoreConfig } from './config.ts';
import { claimIdentity, configForIdentity, type ClaimedIdentity } from './identity/index.ts';
import { startStore } from './store.ts';

/** Exit code of a replica whose identity was taken over (EX_TEMPFAIL: a restart claims again). */
const EXIT_IDENTITY_LOST = 75;

const baseConfig = loadStoreConfig();
const processLogger = createLogger({ service: 'store', level: baseConfig.RS_LOG_LEVEL });
let claimed: ClaimedIdentity | undefined;
let config: StoreConfig = baseConfig;
try {
  if (baseConfig.RS_STORE_IDENTITY_POOL) {
    claimed = await claimIdentity(baseConfig.RS_STORE_IDENTITY_POOL, {
      staleMs: baseConfig.RS_STORE_IDENTITY_STALE_MS,
      waitMs: baseConfig.RS_STORE_IDENTITY_WAIT_MS,
      logger: processLogger,
      onLost: (error) => {
        processLogger.fatal({ err: error, code: error.code }, error.message);
        process.exit(EXIT_IDENTITY_LOST);
      },
    });
    config = configForIdentity(baseConfig, claimed);
  }
} catch (error) {
  const code = (error as { code?: string }).code;
  processLogger.fatal({ err: error, code }, `store not started: ${(error as Error).message}`);
  process.stderr.write(`store: ${code ?? 'error'}: ${(error as Error).message}\n`);
  process.exit(1);
}

const logger = processLogger.child({ store_id: config.RS_STORE_ID });
const store = await startStore(config, { logger }).catch(async (error: unknown) => {
  await claimed?.release();
  throw error;
});
// 0.0.0.0 is no address for others: announce the host name (a container's, inside compose's network).
await claimed?.announce(store.url.replace('//0.0.0.0:', `//${hostname()}:`));
logger.info(
  { url: store.url, dataDir: storeDataDir(config), central: config.RS_CENTRAL_GRPC_ENDPOINTS, identity_pool: baseConfig.RS_STORE_IDENTITY_POOL },
  `store ${config.RS_STORE_ID} intake listening on ${store.url}`,
);

stopOnSignals(logger, async () => {
  await store.close();
  await claimed?.release();
});
