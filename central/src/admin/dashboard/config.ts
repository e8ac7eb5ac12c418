/** The dashboard's configuration keys (spread into central's schema, central/src/config.ts). */
import { z } from 'zod';

export const dashboardConfigShape = {
  /** Default http://127.0.0.1:8001. The DAG runner's HTTP, which the dashboard proxies for runs, backfills and reconciliation. */
  RS_DAGS_URL: z.url({ error: 'must be an http(s) URL such as http://127.0.0.1:8001' }).default('http://127.0.0.1:8001'),
};
