import { AuthError } from '@auth/core';
import {
  checkTextFile,
  decodeTextFile,
  defaultTextFileMaxBytes,
  type ReadTextFileOptions,
  type TextFileInfo,
} from '@auth/core/adapter';

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
  const maxBytes = options.maxBytes ?? defaultTextFileMaxBytes;
  const signal = options.signal;
  signal?.throwIfAborted();
  checkTextFile(infoOf(await permitted(() => Deno.stat(path), path)), path, maxBytes);
  signal?.throwIfAborted();
  const file = await permitted(() => Deno.open(path, { read: true }), path);
  try {
    checkTextFile(infoOf(await file.stat()), path, maxBytes);
    const buffer = new Uint8Array(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      signal?.throwIfAborted();
      const read = await file.read(buffer.subarray(length));
      if (read === null) break;
      length += read;
    }
    signal?.throwIfAborted();
    return decodeTextFile(buffer.subarray(0, length), path, maxBytes);
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

function infoOf(info: Deno.FileInfo): TextFileInfo {
  const kind = info.isFile
    ? 'file'
    : info.isDirectory
      ? 'directory'
      : info.isFifo
        ? 'fifo'
        : info.isSocket
          ? 'socket'
          : info.isCharDevice || info.isBlockDevice
            ? 'device'
            : 'other';
  return { kind, size: info.size };
}
