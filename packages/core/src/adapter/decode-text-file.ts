import { AuthError } from '../auth-error.ts';
import { checkTextFile } from './check-text-file.ts';

/**
 * The bytes read from a secret file as text: refused when more than `maxBytes` (the file grew after the size
 * check: still never more than that in memory as text) or not UTF-8. A leading BOM is dropped. Errors are
 * `source_unreadable`, name the path and never hold file content.
 *
 * @example
 * const text = decodeTextFile(buffer.subarray(0, length), path, maxBytes);
 */
export function decodeTextFile(bytes: Uint8Array, path: string, maxBytes: number): string {
  checkTextFile({ kind: 'file', size: bytes.byteLength }, path, maxBytes);
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
