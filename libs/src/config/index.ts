/**
 * Configuration is read from the environment through one zod schema per service. Keys are the env
 * names themselves (RS_…), so an error names exactly what the operator must fix.
 */
import { z } from 'zod';
import { commonErrors } from '../errors/index.ts';

/** Parses `env` with `schema`; throws RS_ERR_CONFIG naming every bad key and its rule. */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env, service = 'retail-sync'): z.infer<S> {
  const known: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') known[key] = value;
  }
  const result = schema.safeParse(known);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(config)'}: ${issue.message}`);
  throw commonErrors.create('RS_ERR_CONFIG', `${service}: invalid configuration — ${problems.join('; ')}`, {
    details: { problems },
  });
}

/** Env helpers: env values are strings; these coerce with readable rules. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1' || value === 'yes'),
  string: (fallback: string) => z.string().min(1).default(fallback),
  list: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean)),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  profile: () => z.enum(['embedded', 'production']).default('embedded'),
};

/** Keys every service reads. */
export const commonConfigShape = {
  /** Which adapters run: embedded (DuckDB files, no servers) or production (BullMQ/Redis, Cassandra, ClickHouse, Kafka). */
  RS_PROFILE: env.profile(),
  /** pino level: error = data at risk, warn = degraded, info = lifecycle, debug = per batch. */
  RS_LOG_LEVEL: env.logLevel(),
  /** Folder for runtime state: store buffers, embedded DuckDB files, logs (relative to the working directory). */
  RS_DATA_DIR: env.string('data'),
};

/** Keys of the processes that serve an operators' HTTP API (central's admin API, the DAG runner's). */
export const adminApiConfigShape = {
  /** Token every operator request must carry (`Authorization: Bearer …`; a browser logs in with it as the Basic password) on all routes but /healthz, /readyz and /metrics; the CLI sends it from this variable, and central passes it on to the DAG runner. Unset: the API is open (development only; warned about on the production profile). @default unset */
  RS_ADMIN_TOKEN: z.string().regex(/^\S{16,256}$/, { error: 'must be 16–256 characters without spaces' }).optional(),
};
