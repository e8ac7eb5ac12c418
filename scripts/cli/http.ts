/** The CLI's HTTP client: JSON in, JSON out, a service that cannot be reached is exit code 3. */
import { CliError, EXIT } from './cli-error.ts';

export async function requestJson<T>(url: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? 'GET',
      headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch (error) {
    throw new CliError(`cannot reach ${new URL(url).origin} (${(error as Error).message}); is the service running?`, EXIT.UNAVAILABLE);
  }
  const text = await response.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const message = (body as { message?: string; error?: { message?: string } } | undefined)?.message ?? (body as { error?: { message?: string } } | undefined)?.error?.message ?? text;
    throw new CliError(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${message}`, response.status === 404 || response.status === 400 ? EXIT.USAGE : EXIT.UNAVAILABLE);
  }
  return body as T;
}
