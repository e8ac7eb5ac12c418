/**
 * Routes kafkajs's own log lines into our pino logger, for the store's shipper and central's consumer
 * alike. kafkajs reports every broken connection as ERROR while it retries on its own; the caller
 * decides what is really at risk (and logs that at error itself), so those become warn.
 */
import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '../../log/index.ts';

export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log as { message: string; timestamp?: string; logger?: string };
      const fields = { kafkajs: namespace, ...extra };
      if (level === logLevel.ERROR || level === logLevel.WARN) logger.warn(fields, `kafkajs: ${message}`);
      else if (level === logLevel.INFO) logger.debug(fields, `kafkajs: ${message}`);
      else logger.trace(fields, `kafkajs: ${message}`);
    };
}
