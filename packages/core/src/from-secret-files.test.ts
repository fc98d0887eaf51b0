import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertNoLeak, fakeKey } from '@auth/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthError } from './auth-error.ts';
import { createResolver } from './create-resolver.ts';
import type { TextFileReader } from './credential-source.ts';
import { fromEnv } from './from-env.ts';
import { fromSecretFiles } from './from-secret-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'openai-auth-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The plainest reader a user could pass: core must make it safe (size, time).
const readText: TextFileReader = (path, { signal }) => readFile(path, { encoding: 'utf8', signal });

function resolverFor(path: string, timeoutMs?: number) {
  const env = (name: string) => (name === 'OPENAI_API_KEY_FILE' ? path : undefined);
  return createResolver({
    sources: [fromEnv(env), fromSecretFiles(env, readText, timeoutMs === undefined ? {} : { timeoutMs })],
  });
}

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    expect(AuthError.is(error)).toBe(true);
    return error as AuthError;
  }
  throw new Error('expected a rejection');
}

describe('fromSecretFiles', () => {
  it('A3: "key\\n", "key\\r\\n" and a BOM-prefixed file are trimmed once to the exact key', async () => {
    for (const [name, wrap] of [
      ['lf', (key: string) => `${key}\n`],
      ['crlf', (key: string) => `${key}\r\n`],
      ['bom', (key: string) => `\uFEFF${key}\n`],
    ] as const) {
      const key = fakeKey('project');
      const path = join(dir, name);
      writeFileSync(path, wrap(key));
      const credentials = await resolverFor(path).resolve();
      expect(credentials.apiKey).toBe(key);
      expect(credentials.origins.apiKey).toBe(`file ${path} (OPENAI_API_KEY_FILE)`);
    }
  });

  it('A3: two lines, an embedded NUL, a tab or a space mid-key → invalid_credentials with no fragment', async () => {
    const key = fakeKey('service_account');
    const errors: AuthError[] = [];
    for (const [name, content] of [
      ['two-lines', `${key.slice(0, 60)}\n${key.slice(60)}`],
      ['nul', `${key.slice(0, 60)}\0${key.slice(60)}`],
      ['tab', `${key.slice(0, 60)}\t${key.slice(60)}`],
      ['space', `${key.slice(0, 60)} ${key.slice(60)}`],
    ] as const) {
      const path = join(dir, name);
      writeFileSync(path, content);
      const error = await rejection(resolverFor(path).resolve());
      expect(error.code).toBe('invalid_credentials');
      expect(error.message).toContain(path);
      errors.push(error);
    }
    assertNoLeak({ errors }, [key, key.slice(0, 60), key.slice(60)]);
  });

  it('A5: missing file, EACCES, a directory and a file over 64 KiB → typed errors naming the path, content never read into messages', async () => {
    const key = fakeKey('project');
    const missing = join(dir, 'missing');
    const locked = join(dir, 'locked');
    writeFileSync(locked, key);
    chmodSync(locked, 0o000);
    const big = join(dir, 'big');
    writeFileSync(big, `${key}\n${'x'.repeat(70 * 1024)}`);
    const cases: Array<[string, RegExp]> = [
      [missing, /no such file/],
      [dir, /directory/],
      [big, /larger than 65536 bytes/],
    ];
    // Root reads anything: EACCES is only observable as another user.
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    if (!root) cases.push([locked, /permission denied/]);
    const errors: AuthError[] = [];
    for (const [path, reason] of cases) {
      const error = await rejection(resolverFor(path).resolve());
      expect(error.code).toBe('source_unreadable');
      expect(error.message).toContain(path);
      expect(error.message).toMatch(reason);
      errors.push(error);
    }
    if (root) {
      const denied: TextFileReader = () =>
        Promise.reject(
          Object.assign(new Error(`EACCES: permission denied, open '${locked}'`), { code: 'EACCES' }),
        );
      const env = (name: string) => (name === 'OPENAI_API_KEY_FILE' ? locked : undefined);
      const error = await rejection(createResolver({ sources: [fromSecretFiles(env, denied)] }).resolve());
      expect(error.message).toMatch(/permission denied/);
      errors.push(error);
    }
    assertNoLeak({ errors }, [key]);
  });

  it('A5: a FIFO that never closes fails within the bounded time', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    const error = await rejection(resolverFor(fifo, 200).resolve());
    expect(error.code).toBe('source_unreadable');
    expect(error.message).toMatch(/took longer than 200 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
    // Release the blocked reader thread: open the write end and close it.
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  });
});
