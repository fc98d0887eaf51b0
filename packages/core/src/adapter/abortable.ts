/**
 * Waits for `promise` unless `signal` aborts first; then it rejects with the signal's reason at once. For
 * runtime calls that take no signal (`fs.stat`, Bun's `file().bytes()`): the call itself still runs to its end,
 * and a value that arrives after the abort goes to `discard` (to close a file handle nobody will use).
 *
 * @example
 * const handle = await abortable(open(path), signal, (late) => void late.close());
 */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  discard?: (late: T) => void,
): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) discard?.(value);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
