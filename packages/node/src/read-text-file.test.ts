import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { assertNoLeak, fakeKey } from '@auth/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, resolveCredentials } from './index.ts';
import { readTextFile } from './read-text-file.ts';
import { scopedEnv } from './testing/scoped-env.ts';
import { withSecretFile } from './testing/with-secret-file.ts';

const env = scopedEnv();
afterEach(() => env.restore());

const isRoot = process.getuid?.() === 0;
const hasFifos = process.platform !== 'win32';

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

function makeFifo(directory: string): string {
  const path = join(directory, 'pipe');
  execFileSync('mkfifo', [path]);
  return path;
}

describe('readTextFile', () => {
  it('reads a small UTF-8 file and drops a BOM', async () => {
    await withSecretFile('\uFEFFhello\n', async (path) => {
      expect(await readTextFile(path)).toBe('hello\n');
    });
  });

  it('A5: refuses a directory at once with its path in the message', async () => {
    await withSecretFile('', async (_, directory) => {
      const error = await failure(readTextFile(directory));
      expect(AuthError.is(error)).toBe(true);
      expect(error.message).toContain(directory);
      expect(error.message).toContain('directory');
    });
  });

  it.skipIf(!hasFifos)(
    'A5: refuses a FIFO nobody writes to, at once, without tying up the threadpool',
    async () => {
      await withSecretFile('other content', async (path, directory) => {
        const fifo = makeFifo(directory);
        const started = Date.now();
        // More readers than libuv has threads (4): a blocking open on any of them would starve the rest.
        const errors = await Promise.all(Array.from({ length: 8 }, () => failure(readTextFile(fifo))));
        for (const error of errors) {
          expect(AuthError.is(error)).toBe(true);
          expect(error.message).toContain('FIFO');
          expect(error.message).toContain(fifo);
        }
        expect(await readFile(path, 'utf8')).toBe('other content');
        expect(Date.now() - started).toBeLessThan(1000);
      });
    },
  );

  it('A5: a missing file rejects with ENOENT', async () => {
    await withSecretFile('', async (_, directory) => {
      const error = await failure(readTextFile(join(directory, 'missing')));
      expect(error.code).toBe('ENOENT');
    });
  });

  it('A5: refuses a file over 64 KiB without putting its content in the error', async () => {
    const key = fakeKey('project');
    await withSecretFile(`${key}\n${'x'.repeat(64 * 1024)}`, async (path) => {
      const error = await failure(readTextFile(path));
      expect(AuthError.is(error)).toBe(true);
      expect(error.message).toContain('larger than 65536 bytes');
      assertNoLeak({ errors: [error] }, [key]);
    });
  });

  it('honours maxBytes: exactly the limit is read, one more byte is refused', async () => {
    await withSecretFile('12345', async (path) => {
      expect(await readTextFile(path, { maxBytes: 5 })).toBe('12345');
      expect(AuthError.is(await failure(readTextFile(path, { maxBytes: 4 })))).toBe(true);
    });
  });

  it('refuses bytes that are not UTF-8, without quoting them', async () => {
    await withSecretFile(new Uint8Array([0x73, 0x6b, 0xff, 0xfe]), async (path) => {
      const error = await failure(readTextFile(path));
      expect(error.message).toContain('not UTF-8');
    });
  });

  it('honours an aborted signal', async () => {
    await withSecretFile('value', async (path) => {
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      expect((await failure(readTextFile(path, { signal: controller.signal }))).message).toBe('stop');
    });
  });
});

describe('secret files through the resolver (OPENAI_API_KEY_FILE)', () => {
  it.each([
    ['a final LF', (key: string) => `${key}\n`],
    ['a final CRLF', (key: string) => `${key}\r\n`],
    ['a BOM', (key: string) => `\uFEFF${key}`],
  ])('A3: a file with %s gives the exact key', async (_, content) => {
    const key = fakeKey('project');
    await withSecretFile(content(key), async (path) => {
      env.set({ OPENAI_API_KEY_FILE: path });
      expect((await resolveCredentials()).apiKey === key).toBe(true);
    });
  });

  it.each([
    ['two lines', (key: string) => `${key}\n${fakeKey('project')}\n`],
    ['an embedded NUL', (key: string) => `${key.slice(0, 30)}\0${key.slice(30)}`],
    ['a tab mid-key', (key: string) => `${key.slice(0, 30)}\t${key.slice(30)}`],
    ['a space mid-key', (key: string) => `${key.slice(0, 30)} ${key.slice(30)}`],
  ])('A3: a file with %s → invalid_credentials without any value fragment', async (_, content) => {
    const key = fakeKey('project');
    await withSecretFile(content(key), async (path) => {
      env.set({ OPENAI_API_KEY_FILE: path });
      const error = await failure(resolveCredentials());
      expect(error.code).toBe('invalid_credentials');
      expect(error.message).toContain(path);
      expect(error.message).not.toContain(key.slice(8, 24));
      assertNoLeak({ errors: [error] }, [key]);
    });
  });

  it('A5: a missing file → source_unreadable naming the path and the variable', async () => {
    await withSecretFile('', async (_, directory) => {
      const path = join(directory, 'missing');
      env.set({ OPENAI_API_KEY_FILE: path });
      const error = await failure(resolveCredentials());
      expect(error.code).toBe('source_unreadable');
      expect(error.message).toContain(path);
      expect(error.message).toContain('OPENAI_API_KEY_FILE');
      expect(error.message).toContain('no such file');
    });
  });

  it('A5: a directory → source_unreadable', async () => {
    await withSecretFile('', async (_, directory) => {
      const path = join(directory, 'dir');
      await mkdir(path);
      env.set({ OPENAI_API_KEY_FILE: path });
      const error = await failure(resolveCredentials());
      expect(error.code).toBe('source_unreadable');
      expect(error.message).toContain('directory');
    });
  });

  it.skipIf(!hasFifos)(
    'A5: a FIFO that never closes → source_unreadable well within the read timeout',
    async () => {
      await withSecretFile('', async (_, directory) => {
        env.set({ OPENAI_API_KEY_FILE: makeFifo(directory) });
        const started = Date.now();
        const error = await failure(resolveCredentials());
        expect(error.code).toBe('source_unreadable');
        expect(error.message).toContain('FIFO');
        expect(Date.now() - started).toBeLessThan(1000);
      });
    },
  );

  it('A5: a file over 64 KiB → source_unreadable, content never read into the message', async () => {
    const key = fakeKey('project');
    await withSecretFile(`${key}${' '.repeat(70_000)}`, async (path) => {
      env.set({ OPENAI_API_KEY_FILE: path });
      const error = await failure(resolveCredentials());
      expect(error.code).toBe('source_unreadable');
      expect(error.message).toContain('larger than');
      assertNoLeak({ errors: [error] }, [key]);
    });
  });

  // Root reads any file whatever its mode: as root, the read runs in a child process as `nobody`, against the
  // built package, so the permission check is the kernel's and not a simulation.
  it('A5: an unreadable file (EACCES) → source_unreadable naming the path, content never in the message', async () => {
    const key = fakeKey('project');
    await withSecretFile(key, async (path) => {
      await chmod(path, 0o000);
      await chmod(dirname(path), 0o755);
      let error: { code?: string; message: string };
      if (isRoot) {
        const entry = pathToFileURL(fileURLToPath(new URL('../dist/index.js', import.meta.url))).href;
        const script = `import(${JSON.stringify(entry)}).then((m) => m.resolveCredentials()).then(
          () => console.log('{"code":"none","message":"resolved"}'),
          (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))`;
        const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
          uid: 65534,
          gid: 65534,
          cwd: '/',
          env: { PATH: process.env.PATH ?? '', OPENAI_API_KEY_FILE: path },
          encoding: 'utf8',
        });
        assertNoLeak({ logs: [output] }, [key]);
        error = JSON.parse(output);
      } else {
        env.set({ OPENAI_API_KEY_FILE: path });
        error = await failure(resolveCredentials());
        assertNoLeak({ errors: [error] }, [key]);
      }
      expect(error.code).toBe('source_unreadable');
      expect(error.message).toContain('permission denied');
      expect(error.message).toContain(path);
    });
  });

  it('an empty secret file means unset: missing_credentials says the file is empty', async () => {
    await withSecretFile('\n', async (path) => {
      env.set({ OPENAI_API_KEY_FILE: path });
      const error = await failure(resolveCredentials());
      expect(error.code).toBe('missing_credentials');
      expect(error.message).toContain('the file is empty');
    });
  });
});
