/** Central's admin HTTP API (health, readiness, stores, queue, dead letters with replay). */
import type { Logger } from '@retail-sync/libs/log';
import { buildAdminApp, type AdminDependencies } from './app.ts';

export { buildAdminApp, type AdminDependencies } from './app.ts';

export interface AdminServer {
  /** e.g. http://127.0.0.1:8000 */
  url: string;
  close(): Promise<void>;
}

export async function startAdmin(deps: AdminDependencies & { host: string; port: number; logger: Logger }): Promise<AdminServer> {
  const app = buildAdminApp(deps);
  await app.listen({ host: deps.host, port: deps.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : deps.port;
  const url = `http://${deps.host}:${port}`;
  deps.logger.info({ url }, 'admin api listening');
  return {
    url,
    async close() {
      await app.close();
      deps.logger.info('admin api stopped');
    },
  };
}
