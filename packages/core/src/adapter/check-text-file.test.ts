import { describe, expect, it } from 'vitest';
import { AuthError } from '../auth-error.ts';
import { checkTextFile, defaultTextFileMaxBytes, type FileKind, type FileStats } from './check-text-file.ts';
import { decodeTextFile } from './decode-text-file.ts';

function thrown(run: () => unknown): AuthError {
  try {
    run();
  } catch (error) {
    expect(AuthError.is(error)).toBe(true);
    return error as AuthError;
  }
  throw new Error('expected a throw');
}

const stats = (is: keyof Omit<FileStats, 'size'>, size = 10): FileStats => ({
  size,
  isFile: () => is === 'isFile',
  isDirectory: () => is === 'isDirectory',
  isFIFO: () => is === 'isFIFO',
  isSocket: () => is === 'isSocket',
  isCharacterDevice: () => is === 'isCharacterDevice',
  isBlockDevice: () => is === 'isBlockDevice',
});

describe('checkTextFile', () => {
  it('passes a regular file up to maxBytes, from core terms or from fs.Stats', () => {
    expect(defaultTextFileMaxBytes).toBe(65_536);
    checkTextFile({ kind: 'file', size: 100 }, '/run/secrets/key', 100);
    checkTextFile(stats('isFile', 100), '/run/secrets/key', 100);
  });

  it('A5: refuses what is not a regular file, naming the path and the kind', () => {
    const kinds: [FileKind, keyof Omit<FileStats, 'size'> | undefined, string][] = [
      ['directory', 'isDirectory', 'a directory'],
      ['fifo', 'isFIFO', 'a named pipe (FIFO)'],
      ['socket', 'isSocket', 'a socket'],
      ['device', 'isCharacterDevice', 'a device'],
      ['device', 'isBlockDevice', 'a device'],
      ['other', undefined, 'a special file'],
    ];
    for (const [kind, method, words] of kinds) {
      const message = `/p is ${words}, not a regular file: point the variable at a file that holds only the value.`;
      const direct = thrown(() => checkTextFile({ kind, size: 0 }, '/p', 10));
      expect([direct.code, direct.message, direct.details]).toEqual([
        'source_unreadable',
        message,
        { path: '/p' },
      ]);
      if (method) expect(thrown(() => checkTextFile(stats(method), '/p', 10)).message).toBe(message);
    }
  });

  it('A5: refuses a file over maxBytes before reading it', () => {
    const error = thrown(() => checkTextFile({ kind: 'file', size: 101 }, '/p', 100));
    expect(error.code).toBe('source_unreadable');
    expect(error.message).toContain('/p is larger than 100 bytes');
  });
});

describe('decodeTextFile', () => {
  it('decodes UTF-8 and drops a BOM', () => {
    const bytes = new TextEncoder().encode('\uFEFFkey\n');
    expect(decodeTextFile(bytes, '/p', 100)).toBe('key\n');
  });

  it('refuses more than maxBytes (a file that grew after the check) and bytes that are not UTF-8, quoting neither', () => {
    const large = thrown(() => decodeTextFile(new Uint8Array(11), '/p', 10));
    expect(large.message).toContain('larger than 10 bytes');
    const binary = thrown(() => decodeTextFile(new Uint8Array([0x73, 0x6b, 0xff, 0xfe]), '/p', 10));
    expect(binary.code).toBe('source_unreadable');
    expect(binary.message).toBe('/p is not UTF-8 text; a secret file holds the value as text.');
  });
});
