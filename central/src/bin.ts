/** Entry point of one central process: `tsx central/src/bin.ts` with RS_* env (RS_CENTRAL_ROLES picks the parts). */
import { createLogger } from '@retail-sync/libs/log';
import { stopOnSignals } from '@retail-sync/libs/runtime';
import { loadCentralConfig } from './config.ts';
import { startCentral } from './main.ts';

const config = loadCentralConfig();
const logger = createLogger({ service: 'central', level: config.RS_LOG_LEVEL });
const central = await startCentral(config, { logger });
logger.info({ grpc_port: central.grpcPort, admin_url: central.adminUrl, roles: config.RS_CENTRAL_ROLES }, 'central running');

stopOnSignals(logger, () => central.close());
