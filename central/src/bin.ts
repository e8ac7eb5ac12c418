/** Entry point of one central process: `tsx central/src/bin.ts` with RS_* env (RS_CENTRAL_ROLES picks the parts). */
import { createLogger } from '@retail-sync/libs/log';
import { loadCentralConfig } from './config.ts';
import { startCentral } from './main.ts';

const config = loadCentralConfig();
const logger = createLogger({ service: 'central', level: config.RS_LOG_LEVEL });
const central = await startCentral(config, { logger });
logger.info({ grpc_port: central.grpcPort, admin_url: central.adminUrl, roles: config.RS_CENTRAL_ROLES }, 'central running');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    central.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  });
}
