/**
 * Runs `task` with an abort signal and rejects with `onTimeout()` when it takes longer than `ms`. The timer is
 * always cleared, so no timer keeps a process alive after the task settles.
 */
export function withTimeout<T>(
  ms: number,
  task: (signal: AbortSignal) => Promise<T> | T,
  onTimeout: () => Error,
): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = onTimeout();
      controller.abort(error);
      reject(error);
    }, ms);
  });
  const run = Promise.resolve().then(() => task(controller.signal));
  return Promise.race([run, timeout]).finally(() => clearTimeout(timer));
}
