/**
 * The operators' HTTP APIs (central's admin API, the DAG runner's) can replay dead letters, issue store
 * keys and start backfills; with RS_ADMIN_TOKEN set, every request must carry the token:
 * `Authorization: Bearer <token>`, or Basic with the token as password (any user name), which is what a
 * browser sends for the dashboard after its login prompt. Probes and the Prometheus scrape stay open.
 * The comparison is constant-time over SHA-256 digests, so neither length nor content leaks by timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { commonErrors } from '../errors/index.ts';

/** Routes a scraper or an orchestrator's probe calls without credentials. */
export const OPEN_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The token an Authorization header presents (Bearer, or Basic's password), or undefined. */
export function presentedToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(' ', 2);
  if (!value) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

/** Adds the token check to every route of `app` but OPEN_PATHS; does nothing when `token` is unset. */
export function requireAdminToken(app: FastifyInstance, token: string | undefined, realm: string): void {
  if (!token) return;
  const expected = digest(token);
  app.addHook('onRequest', async (request, reply) => {
    if (OPEN_PATHS.has(request.url.split('?', 1)[0]!)) return;
    const presented = presentedToken(request.headers.authorization);
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return;
    return reply
      .status(401)
      .header('www-authenticate', `Basic realm="${realm}", charset="UTF-8"`)
      .send({ error: commonErrors.create('RS_ERR_ADMIN_UNAUTHORIZED', `${request.method} ${request.url.split('?', 1)[0]} needs the admin token (Authorization: Bearer $RS_ADMIN_TOKEN)`).toJSON() });
  });
}

/** Headers that carry `token` (none when unset): for the CLI and for central's calls to the DAG runner. */
export function adminAuthHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}
