import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { AuthError } from '@auth/core';

/** Options of {@link readTextFile}. */
export interface ReadTextFileOptions {
  /** Larger files are refused without being read. Default 64 KiB. */
  maxBytes?: number | undefined;
  /** Aborts the read; the promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

const defaultMaxBytes = 64 * 1024;
// Windows has no O_NONBLOCK; there a FIFO cannot be a path on disk in the first place.
const nonBlocking = constants.O_NONBLOCK ?? 0;

/**
 * Reads a small UTF-8 text file (a secret file) safely. It `stat`s first and refuses anything that is not a
 * regular file: opening or reading a FIFO nobody writes to would park a libuv threadpool thread forever,
 * and four such reads stall every `fs` call of the process. It opens with `O_NONBLOCK` and checks again on
 * the open handle, so a path swapped for a pipe between the two steps cannot block either. Reads at most
 * `maxBytes` (default 64 KiB), honours `signal`, and never puts file content in an error.
 *
 * @example
 * const key = (await readTextFile('/run/secrets/openai_api_key')).trim();
 */
export async function readTextFile(path: string, options: ReadTextFileOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? defaultMaxBytes;
  const signal = options.signal;
  signal?.throwIfAborted();
  checkKind(await abortable(stat(path), signal), path, maxBytes);
  const handle = await abortable(open(path, constants.O_RDONLY | nonBlocking), signal);
  try {
    checkKind(await handle.stat(), path, maxBytes);
    const buffer = new Uint8Array(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    // The file grew after the size check: still never more than maxBytes in memory as text.
    if (length > maxBytes) throw tooLarge(path, maxBytes);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length));
    } catch {
      throw new AuthError(
        'source_unreadable',
        `${path} is not UTF-8 text; a secret file holds the value as text.`,
        {
          details: { path },
        },
      );
    }
  } finally {
    await handle.close();
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
          : 'not a regular file';
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

/** `fs` promises take no signal for `stat`/`open`: stop waiting on abort (the call itself ends on its own). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) {
          // A handle opened after the abort would leak: close it.
          (value as { close?: () => Promise<void> } | undefined)?.close?.().catch(() => undefined);
        }
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
