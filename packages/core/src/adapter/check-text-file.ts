import { AuthError } from '../auth-error.ts';

/** What a path is, as far as reading a secret from it goes. */
export type FileKind = 'file' | 'directory' | 'fifo' | 'socket' | 'device' | 'other';

/** What a `stat` said about a path, in the runtime's own terms turned into core's. */
export interface TextFileInfo {
  readonly kind: FileKind;
  readonly size: number;
}

/** The `fs.Stats` shape that Node's `fs` and Bun's `file(path).stat()` return. */
export interface FileStats {
  readonly size: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}

/** Secret files larger than this are refused unless a reader is told otherwise: a key is under 300 bytes. */
export const defaultTextFileMaxBytes: number = 64 * 1024;

const kindNames: Readonly<Record<FileKind, string>> = {
  file: 'a file',
  directory: 'a directory',
  fifo: 'a named pipe (FIFO)',
  socket: 'a socket',
  device: 'a device',
  other: 'a special file',
};

/**
 * Refuses, before anything is read, a path that is not a regular file (a FIFO nobody writes to would never
 * end; a directory or device is never a secret file) or a file over `maxBytes`. Errors are
 * `source_unreadable`, name the path and never hold file content.
 *
 * @example
 * checkTextFile(await stat(path), path, maxBytes);
 */
export function checkTextFile(info: TextFileInfo | FileStats, path: string, maxBytes: number): void {
  const kind = 'kind' in info ? info.kind : kindOf(info);
  if (kind === 'file') {
    if (info.size > maxBytes) {
      throw new AuthError(
        'source_unreadable',
        `${path} is larger than ${maxBytes} bytes; a secret file holds only the value (a key is under 300 bytes).`,
        { details: { path } },
      );
    }
    return;
  }
  throw new AuthError(
    'source_unreadable',
    `${path} is ${kindNames[kind]}, not a regular file: point the variable at a file that holds only the value.`,
    { details: { path } },
  );
}

function kindOf(stats: FileStats): FileKind {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  return stats.isCharacterDevice() || stats.isBlockDevice() ? 'device' : 'other';
}
