import { expect, test } from 'bun:test';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertNoLeak, fakeKey } from '@auth/testkit';
import { withEnv } from '../test/with-env.ts';
import { AuthError, createResolver } from './index.ts';
import { readTextFile } from './read-text-file.ts';

/* Secret files through Bun's default chain (OPENAI_API_KEY_FILE → Bun.file), SECURITY-TESTS A3 and A5. */

const clean = {
  OPENAI_API_KEY: undefined,
  OPENAI_ORG_ID: undefined,
  OPENAI_PROJECT_ID: undefined,
  OPENAI_BASE_URL: undefined,
  OPENAI_ORG_ID_FILE: undefined,
  OPENAI_PROJECT_ID_FILE: undefined,
};

async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'auth-bun-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Resolves with OPENAI_API_KEY_FILE set to `path`: the key or the typed error, and the time taken. */
async function resolveFile(path: string): Promise<{ key?: string; error?: AuthError; ms: number }> {
  return await withEnv({ ...clean, OPENAI_API_KEY_FILE: path }, async () => {
    const started = Date.now();
    try {
      const credentials = await createResolver().resolve();
      return { key: credentials.apiKey, ms: Date.now() - started };
    } catch (error) {
      if (!AuthError.is(error)) throw error;
      return { error, ms: Date.now() - started };
    }
  });
}

test('A3: key\\n, key\\r\\n and a BOM-prefixed key are trimmed once to the exact key', async () => {
  await inTempDir(async (dir) => {
    for (const [name, wrap] of [
      ['lf', (key: string) => `${key}\n`],
      ['crlf', (key: string) => `${key}\r\n`],
      ['bom', (key: string) => `\uFEFF${key}\n`],
    ] as const) {
      const key = fakeKey('project');
      await writeFile(join(dir, name), wrap(key));
      const result = await resolveFile(join(dir, name));
      expect(result.key === key).toBe(true);
    }
  });
});

test('A3: two lines, a NUL, a tab or a space inside the key → invalid_credentials without any fragment', async () => {
  await inTempDir(async (dir) => {
    const key = fakeKey('project');
    const cut = 40;
    const errors: unknown[] = [];
    for (const [name, content] of [
      ['two-lines', `${key.slice(0, cut)}\n${key.slice(cut)}`],
      ['nul', `${key.slice(0, cut)}\0${key.slice(cut)}`],
      ['tab', `${key.slice(0, cut)}\t${key.slice(cut)}`],
      ['space', `${key.slice(0, cut)} ${key.slice(cut)}`],
    ] as const) {
      await writeFile(join(dir, name), content);
      const result = await resolveFile(join(dir, name));
      expect(result.error?.code).toBe('invalid_credentials');
      for (const fragment of [key.slice(8, cut), key.slice(cut, cut + 30)]) {
        expect(result.error?.message.includes(fragment)).toBe(false);
      }
      errors.push(result.error);
    }
    assertNoLeak({ errors }, [key]);
  });
});

test('A5: missing file, directory, over 64 KiB, /dev/zero → source_unreadable naming the path, quickly', async () => {
  await inTempDir(async (dir) => {
    const key = fakeKey('project');
    await mkdir(join(dir, 'a-directory'));
    await writeFile(join(dir, 'large'), `${key}\n`.repeat(500));
    const cases = [
      [join(dir, 'missing'), /no such file/],
      [join(dir, 'a-directory'), /is a directory, not a regular file/],
      [join(dir, 'large'), /larger than 65536 bytes/],
      ['/dev/zero', /is a device, not a regular file/],
    ] as const;
    const errors: unknown[] = [];
    for (const [path, reason] of cases) {
      const result = await resolveFile(path);
      expect(result.error?.code).toBe('source_unreadable');
      expect(result.error?.message).toContain(path);
      expect(result.error?.message).toMatch(reason);
      expect(result.ms).toBeLessThan(2000);
      errors.push(result.error);
    }
    assertNoLeak({ errors }, [key]);
  });
});

test('A5: a FIFO nobody writes to, and a symlink to one, are refused at once without blocking', async () => {
  await inTempDir(async (dir) => {
    const fifo = join(dir, 'fifo');
    expect(Bun.spawnSync(['mkfifo', fifo]).exitCode).toBe(0);
    await symlink(fifo, join(dir, 'link-to-fifo'));
    for (const path of [fifo, join(dir, 'link-to-fifo')]) {
      const result = await resolveFile(path);
      expect(result.error?.code).toBe('source_unreadable');
      expect(result.error?.message).toMatch(/named pipe \(FIFO\), not a regular file/);
      // Well under the 5 s read timeout: refused by stat, never opened.
      expect(result.ms).toBeLessThan(1000);
    }
  });
});

test('readTextFile honours an aborted signal, maxBytes, and refuses text that is not UTF-8', async () => {
  await inTempDir(async (dir) => {
    const key = fakeKey('project');
    await writeFile(join(dir, 'key'), key);
    const reason = new Error('stop');
    await expect(readTextFile(join(dir, 'key'), { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(readTextFile(join(dir, 'key'), { maxBytes: 16 })).rejects.toThrow(/larger than 16 bytes/);
    expect((await readTextFile(join(dir, 'key'))) === key).toBe(true);
    await writeFile(join(dir, 'latin1'), new Uint8Array([0x73, 0x6b, 0xe9, 0xff]));
    await expect(readTextFile(join(dir, 'latin1'))).rejects.toThrow(/not UTF-8 text/);
    const controller = new AbortController();
    const reading = readTextFile(join(dir, 'key'), { signal: controller.signal });
    controller.abort(new Error('timeout'));
    await expect(reading).rejects.toThrow(/timeout/);
  });
});
