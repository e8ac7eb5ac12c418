/**
 * Waits for `work` unless a signal aborts first, and removes its listeners either way. The shipper's
 * loops call it once per idle poll for months: racing a long-lived "stopped" promise instead would
 * leave one reaction behind per call (~86k a day at a 1 s idle poll), which is the leak this replaces.
 */
export function untilAborted<T>(work: Promise<T>, signals: readonly AbortSignal[]): Promise<T | undefined> {
  if (signals.some((signal) => signal.aborted)) {
    work.catch(() => undefined);
    return Promise.resolve(undefined);
  }
  return new Promise<T | undefined>((resolve, reject) => {
    const detach = () => signals.forEach((signal) => signal.removeEventListener('abort', onAbort));
    const onAbort = () => {
      detach();
      work.catch(() => undefined); // its outcome no longer matters
      resolve(undefined);
    };
    signals.forEach((signal) => signal.addEventListener('abort', onAbort, { once: true }));
    work.then(
      (value) => (detach(), resolve(value)),
      (error: unknown) => (detach(), reject(error)),
    );
  });
}

/** A timer that ends early (resolves) when a signal aborts. */
export async function sleepUnlessAborted(ms: number, signals: readonly AbortSignal[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await untilAborted(new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), signals);
  clearTimeout(timer);
}
