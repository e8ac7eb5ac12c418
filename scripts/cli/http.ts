/**
 * The CLI's HTTP client: JSON in, JSON out, a service that cannot be reached is exit code 3. Every
 * request carries RS_ADMIN_TOKEN from the environment when it is set (central and the DAG runner ask for it).
 */
import { adminAuthHeaders } from '@retail-sync/libs/runtime';
import { CliError, EXIT } from './cli-error.ts';

export async function requestJson<T>(url: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? 'GET',
      headers: { ...adminAuthHeaders(process.env.RS_ADMIN_TOKEN || undefined), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch (error) {
    throw new CliError(`cannot reach ${new URL(url).origin} (${(error as Error).message}); is the service running?`, EXIT.UNAVAILABLE);
  }
  const text = await response.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const answer = body as { message?: string; error?: { code?: string; message?: string } } | undefined;
    const message = answer?.message ?? answer?.error?.message ?? text;
    throw new CliError(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${message}`, response.status === 404 || response.status === 400 || response.status === 401 ? EXIT.USAGE : EXIT.UNAVAILABLE, {
      status: response.status,
      code: answer?.error?.code,
      message,
    });
  }
  return body as T;
}
