/**
 * pino JSON logs. Level meanings are fixed: error = data at risk, warn = degraded, info = lifecycle,
 * debug = per batch. A sale's log lines carry its trace_id; customer ids are redacted wherever they appear.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface LoggerSettings {
  service: string;
  level?: string;
  /** Extra bindings on every line (store_id, endpoint …). */
  bindings?: Record<string, unknown>;
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
}

const REDACT = ['customer_id', '*.customer_id', 'sale.customer_id', '*.sale.customer_id', 'sales[*].customer_id', 'headers.authorization', 'headers["x-store-key"]'];

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { service: settings.service, pid: process.pid, ...settings.bindings },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A child logger for one sale or batch: every line it writes carries the trace id. */
export function withTrace(logger: Logger, traceId: string, bindings: Record<string, unknown> = {}): Logger {
  return logger.child({ trace_id: traceId, ...bindings });
}
