/**
 * Routes kafkajs's own log lines into our pino logger. kafkajs reports every broken connection as ERROR
 * while it retries on its own; the shipper decides what is really at risk, so those become warn.
 */
import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '@retail-sync/libs/log';

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
