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
 * Reads a small UTF-8 text file (a secret file) safely with `Deno.stat` and `Deno.open`. It refuses anything
 * that is not a regular file before opening it: opening a FIFO nobody writes to blocks a thread until a
 * writer comes, and `Deno.open` cannot pass `O_NONBLOCK`. It checks again on the open file, so a path swapped
 * in between is caught, reads at most `maxBytes` (default 64 KiB), honours `signal`, and never puts file
 * content in an error. Without `--allow-read` for the path it says which flag to add.
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
  checkKind(await permitted(() => Deno.stat(path), path), path, maxBytes);
  signal?.throwIfAborted();
  const file = await permitted(() => Deno.open(path, { read: true }), path);
  try {
    checkKind(await file.stat(), path, maxBytes);
    const buffer = new Uint8Array(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      signal?.throwIfAborted();
      const read = await file.read(buffer.subarray(length));
      if (read === null) break;
      length += read;
    }
    signal?.throwIfAborted();
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
    file.close();
  }
}

/** Deno's permission refusals become errors that name the flag to add; other errors keep their `code`. */
async function permitted<T>(operation: () => Promise<T>, path: string): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) {
      throw new AuthError('source_unreadable', `Cannot read ${path}: run Deno with --allow-read=${path}.`, {
        cause: error,
        details: { path },
      });
    }
    throw error;
  }
}

function checkKind(info: Deno.FileInfo, path: string, maxBytes: number): void {
  if (info.isFile) {
    if (info.size > maxBytes) throw tooLarge(path, maxBytes);
    return;
  }
  const kind = info.isDirectory
    ? 'a directory'
    : info.isFifo
      ? 'a named pipe (FIFO)'
      : info.isSocket
        ? 'a socket'
        : info.isCharDevice || info.isBlockDevice
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
