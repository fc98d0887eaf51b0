import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import {
  abortable,
  checkTextFile,
  decodeTextFile,
  defaultTextFileMaxBytes,
  type ReadTextFileOptions,
} from '@auth/core/adapter';

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
  const maxBytes = options.maxBytes ?? defaultTextFileMaxBytes;
  const signal = options.signal;
  signal?.throwIfAborted();
  // `fs` promises take no signal for `stat`/`open`: stop waiting on abort, and close a handle opened too late.
  checkTextFile(await abortable(stat(path), signal), path, maxBytes);
  const handle = await abortable(open(path, constants.O_RDONLY | nonBlocking), signal, (late) => {
    late.close().catch(() => undefined);
  });
  try {
    checkTextFile(await handle.stat(), path, maxBytes);
    const buffer = new Uint8Array(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return decodeTextFile(buffer.subarray(0, length), path, maxBytes);
  } finally {
    await handle.close();
  }
}
