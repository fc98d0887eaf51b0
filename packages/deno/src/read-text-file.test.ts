import assert from 'node:assert/strict';
import { assertNoLeak, fakeKey } from '@auth/testkit';
import { runDeno } from '../test/run-deno.ts';
import { withEnv } from '../test/with-env.ts';
import { AuthError, createResolver } from './index.ts';
import { readTextFile } from './read-text-file.ts';

/* Secret files through Deno's default chain (OPENAI_API_KEY_FILE → readTextFile): SECURITY-TESTS A3, A5. */

const clean = {
  OPENAI_API_KEY: undefined,
  OPENAI_ORG_ID: undefined,
  OPENAI_PROJECT_ID: undefined,
  OPENAI_BASE_URL: undefined,
  OPENAI_ORG_ID_FILE: undefined,
  OPENAI_PROJECT_ID_FILE: undefined,
};

async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: 'auth-deno-' });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
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
      assert.ok(AuthError.is(error), 'a typed AuthError');
      return { error, ms: Date.now() - started };
    }
  });
}

async function mkfifo(path: string): Promise<void> {
  const { success } = await new Deno.Command('mkfifo', { args: [path] }).output();
  assert.ok(success, 'mkfifo');
}

Deno.test('A3: key\\n, key\\r\\n and a BOM-prefixed key are trimmed once to the exact key', async () => {
  await inTempDir(async (dir) => {
    for (const [name, wrap] of [
      ['lf', (key: string) => `${key}\n`],
      ['crlf', (key: string) => `${key}\r\n`],
      ['bom', (key: string) => `\uFEFF${key}\n`],
    ] as const) {
      const key = fakeKey('project');
      await Deno.writeTextFile(`${dir}/${name}`, wrap(key));
      const result = await resolveFile(`${dir}/${name}`);
      assert.ok(result.key === key, `${name}: the exact key`);
    }
  });
});

Deno.test('A3: two lines, a NUL, a tab or a space inside the key → invalid_credentials without any fragment', async () => {
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
      await Deno.writeTextFile(`${dir}/${name}`, content);
      const result = await resolveFile(`${dir}/${name}`);
      assert.equal(result.error?.code, 'invalid_credentials', name);
      for (const fragment of [key.slice(8, cut), key.slice(cut, cut + 30)]) {
        assert.ok(!result.error?.message.includes(fragment), `${name}: no fragment of the value`);
      }
      errors.push(result.error);
    }
    assertNoLeak({ errors }, [key]);
  });
});

Deno.test('A5: missing file, directory, over 64 KiB, /dev/zero → source_unreadable naming the path, quickly', async () => {
  await inTempDir(async (dir) => {
    const key = fakeKey('project');
    await Deno.mkdir(`${dir}/a-directory`);
    await Deno.writeTextFile(`${dir}/large`, `${key}\n`.repeat(500));
    const cases = [
      [`${dir}/missing`, /no such file/],
      [`${dir}/a-directory`, /is a directory, not a regular file/],
      [`${dir}/large`, /larger than 65536 bytes/],
      ['/dev/zero', /is a device, not a regular file/],
    ] as const;
    const errors: unknown[] = [];
    for (const [path, reason] of cases) {
      const result = await resolveFile(path);
      assert.equal(result.error?.code, 'source_unreadable', path);
      assert.ok(result.error?.message.includes(path), `${path}: the path is named`);
      assert.match(result.error?.message ?? '', reason);
      assert.ok(result.ms < 2000, `${path}: answered in ${result.ms} ms`);
      errors.push(result.error);
    }
    assertNoLeak({ errors }, [key]);
  });
});

Deno.test('A5: a FIFO nobody writes to, and a symlink to one, are refused at once without blocking', async () => {
  await inTempDir(async (dir) => {
    await mkfifo(`${dir}/fifo`);
    await Deno.symlink(`${dir}/fifo`, `${dir}/link-to-fifo`);
    for (const path of [`${dir}/fifo`, `${dir}/link-to-fifo`]) {
      const result = await resolveFile(path);
      assert.equal(result.error?.code, 'source_unreadable');
      assert.match(result.error?.message ?? '', /named pipe \(FIFO\), not a regular file/);
      // Well under the 5 s read timeout: refused by stat, never opened.
      assert.ok(result.ms < 1000, `answered in ${result.ms} ms`);
    }
  });
});

Deno.test('A5: without --allow-read for the file, the error names the flag and resolution does not crash', async () => {
  await inTempDir(async (dir) => {
    const key = fakeKey('project');
    await Deno.writeTextFile(`${dir}/key`, key);
    const run = await runDeno(
      ['run', '--no-prompt', '--allow-env', '--allow-read=./test', 'test/fixtures/print-report.ts'],
      { OPENAI_API_KEY_FILE: `${dir}/key` },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /"error":"source_unreadable"/);
    assert.ok(run.stdout.includes(`--allow-read=${dir}/key`), 'names the flag with the path');
    assertNoLeak({ logs: [run.stdout, run.stderr] }, [key]);
  });
});

Deno.test('readTextFile honours an aborted signal, maxBytes, and refuses text that is not UTF-8', async () => {
  await inTempDir(async (dir) => {
    const key = fakeKey('project');
    await Deno.writeTextFile(`${dir}/key`, key);
    const reason = new Error('stop');
    await assert.rejects(
      readTextFile(`${dir}/key`, { signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
    await assert.rejects(readTextFile(`${dir}/key`, { maxBytes: 16 }), /larger than 16 bytes/);
    assert.ok((await readTextFile(`${dir}/key`)) === key, 'reads the whole small file');
    await Deno.writeFile(`${dir}/latin1`, new Uint8Array([0x73, 0x6b, 0xe9, 0xff]));
    await assert.rejects(readTextFile(`${dir}/latin1`), /not UTF-8 text/);
  });
});

Deno.test('readTextFile: an abort after the read started ends it with the reason and leaves no file open', async () => {
  // Deno's resource sanitizer fails this test if the abort path forgot to close the file.
  await inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/key`, 'x'.repeat(1000));
    const controller = new AbortController();
    const reading = readTextFile(`${dir}/key`, { signal: controller.signal });
    controller.abort(new Error('timeout'));
    await assert.rejects(reading, /timeout/);
  });
});
