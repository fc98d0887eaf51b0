import type { Stats } from 'node:fs';
import { AuthError } from '@auth/core';

/** Options of {@link readTextFile}. */
export interface ReadTextFileOptions {
  /** Larger files are refused without being read. Default 64 KiB. */
  maxBytes?: number | undefined;
  /** Aborts the read; the promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

const defaultMaxBytes = 64 * 1024;

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
  const maxBytes = options.maxBytes ?? defaultMaxBytes;
  const signal = options.signal;
  signal?.throwIfAborted();
  const file = Bun.file(path);
  checkKind(await abortable(file.stat(), signal), path, maxBytes);
  // Bun.file opens the path again and offers no handle to check: a path swapped for a FIFO after the stat is
  // still bounded by `signal` (core's read timeout), though Bun's read of it may linger.
  const bytes = await abortable(file.slice(0, maxBytes + 1).bytes(), signal);
  // The file grew after the size check: still never more than maxBytes in memory as text.
  if (bytes.byteLength > maxBytes) throw tooLarge(path, maxBytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new AuthError(
      'source_unreadable',
      `${path} is not UTF-8 text; a secret file holds the value as text.`,
      {
        details: { path },
      },
    );
  }
}

function checkKind(info: Stats, path: string, maxBytes: number): void {
  if (info.isFile()) {
    if (info.size > maxBytes) throw tooLarge(path, maxBytes);
    return;
  }
  const kind = info.isDirectory()
    ? 'a directory'
    : info.isFIFO()
      ? 'a named pipe (FIFO)'
      : info.isSocket()
        ? 'a socket'
        : info.isCharacterDevice() || info.isBlockDevice()
          ? 'a device'
          : 'a special file';
  throw new AuthError(
    'source_unreadable',
    `${path} is ${kind}, not a regular file: point the variable at a file that holds only the value.`,
    { details: { path } },
  );
}

function tooLarge(path: string, maxBytes: number): AuthError {
  return new AuthError(
    'source_unreadable',
    `${path} is larger than ${maxBytes} bytes; a secret file holds only the value (a key is under 300 bytes).`,
    { details: { path } },
  );
}

/** `Bun.file` reads take no signal: stop waiting on abort (the read itself ends on its own, bounded). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
