import {
  abortable,
  checkTextFile,
  decodeTextFile,
  defaultTextFileMaxBytes,
  type ReadTextFileOptions,
} from '@auth/core/adapter';

/**
 * Reads a small UTF-8 text file (a secret file) safely with `Bun.file`. It `stat`s first and refuses anything
 * that is not a regular file (a FIFO nobody writes to would never end, a directory or device is never a
 * secret file) and any file over `maxBytes` (default 64 KiB), without reading it; then it reads at most
 * `maxBytes + 1` bytes, so a file that grew meanwhile is refused too. Honours `signal`; never puts file
 * content in an error.
 *
 * @example
 * ```ts
 * const key = (await readTextFile('/run/secrets/openai_api_key')).trim();
 * ```
 */
export async function readTextFile(path: string, options: ReadTextFileOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? defaultTextFileMaxBytes;
  const signal = options.signal;
  signal?.throwIfAborted();
  const file = Bun.file(path);
  // `Bun.file` reads take no signal: stop waiting on abort (the read itself ends on its own, bounded).
  checkTextFile(await abortable(file.stat(), signal), path, maxBytes);
  // Bun.file opens the path again and offers no handle to check: a path swapped for a FIFO after the stat is
  // still bounded by `signal` (core's read timeout), though Bun's read of it may linger.
  const bytes = await abortable(file.slice(0, maxBytes + 1).bytes(), signal);
  return decodeTextFile(bytes, path, maxBytes);
}
