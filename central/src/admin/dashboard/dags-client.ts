/**
 * The dashboard's client of the DAG runner's HTTP (dags/src/http.ts): central never imports dags, it
 * calls the runner like the CLI does. An unreachable runner is an answer (503), not a crash: the rest of
 * the dashboard keeps working.
 */
import { adminAuthHeaders } from '@retail-sync/libs/runtime';

export interface DagsAnswer {
  status: number;
  body: unknown;
}

/** The runner's run summary (GET /v1/dags/runs), as far as the dashboard reads it. */
export interface DagRunSummary {
  run_id: string;
  job_id: string;
  partition: string;
  status: 'incomplete' | 'succeeded' | 'failed';
  started_at: string;
  finished_at: string;
}

export class DagsClient {
  constructor(
    readonly baseUrl: string,
    /** RS_ADMIN_TOKEN: the DAG runner asks for it as central's admin API does. */
    private readonly adminToken?: string,
    private readonly timeoutMs = 3_000,
  ) {}

  async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<DagsAnswer> {
    try {
      const response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: { ...adminAuthHeaders(this.adminToken), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
    } catch (error) {
      return {
        status: 503,
        body: { error: { code: 'RS_ERR_DEPENDENCY_UNAVAILABLE', message: `DAG runner at ${this.baseUrl} did not answer: ${(error as Error).message}`, retriable: true } },
      };
    }
  }

  /** The newest runs, or the reason they could not be read. */
  async recentRuns(limit: number): Promise<{ runs: DagRunSummary[] } | { error: string }> {
    const answer = await this.request('GET', `/v1/dags/runs?limit=${limit}`);
    if (answer.status !== 200) return { error: errorMessage(answer) };
    return { runs: (answer.body as { runs: DagRunSummary[] }).runs };
  }
}

export function errorMessage(answer: DagsAnswer): string {
  const message = (answer.body as { error?: { message?: string } } | null)?.error?.message;
  return message ?? `answered ${answer.status}`;
}
