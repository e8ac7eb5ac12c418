/**
 * Readiness probes shared by every service's GET /readyz: each dependency is asked a trivial question
 * on every probe (never answered from a flag set at start), each within its own timeout, so a probe
 * reports which dependency is down and never hangs behind one that does not answer.
 */

export interface Readiness {
  ready: boolean;
  /** Per dependency: 'ok', or why not (the error's message, or `timed out after N ms`). */
  checks: Record<string, string>;
}

/** Runs every check at once; ready when all answered within `timeoutMs`. */
export async function probeDependencies(checks: Readonly<Record<string, () => Promise<unknown>>>, timeoutMs: number): Promise<Readiness> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => probe(checks[name]!, timeoutMs)));
  return { ready: results.every((result) => result === 'ok'), checks: Object.fromEntries(names.map((name, i) => [name, results[i]!])) };
}

async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`timed out after ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(check).then(() => 'ok'), timeout]);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}
