import { expect, test } from 'bun:test';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertNoLeak, fakeKey, fakeOrgId, fakeProjectId } from '@auth/testkit';
import { AuthError, type CredentialSource, createResolver, fromCommand } from './index.ts';

/*
 * fromCommand on Bun.spawn, against real processes. Keys reach the command through `env`, never argv, as a
 * user's would come from `pass` or `op`. Only the command source is in the chain (`sources`), so the
 * environment of the test runner cannot decide anything.
 */

const resolverOf = (source: CredentialSource) => createResolver({ sources: [source] });

async function failureOf(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    if (AuthError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await Bun.sleep(25);
  }
  return !isAlive(pid);
}

async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'auth-bun-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('fromCommand: the printed key, trimmed, is the key; the report names the command', async () => {
  const key = fakeKey('project');
  const resolver = resolverOf(fromCommand('sh', ['-c', 'printf "%s\\n" "$KEY"'], { env: { KEY: key } }));
  const credentials = await resolver.resolve();
  expect(credentials.apiKey === key).toBe(true);
  const report = await resolver.report();
  expect(report.fields.apiKey.origin).toBe('command sh -c "printf \\"%s\\\\n\\" \\"$KEY\\""');
  assertNoLeak({ values: [report, credentials] }, [key]);
});

test('fromCommand: JSON output gives organization, project and a lifetime when fields ask for them', async () => {
  const key = fakeKey('service_account');
  const organization = fakeOrgId();
  const project = fakeProjectId();
  const json = JSON.stringify({
    apiKey: key,
    organization,
    project,
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
  });
  const source = fromCommand('sh', ['-c', 'printf "%s" "$JSON"'], {
    env: { JSON: json },
    fields: ['apiKey', 'organization', 'project'],
  });
  const credentials = await resolverOf(source).resolve();
  expect(credentials.organization).toBe(organization);
  expect(credentials.project).toBe(project);
  expect(credentials.expiresAt).toBeGreaterThan(Date.now());
  expect(credentials.headers().Authorization === `Bearer ${key}`).toBe(true);
});

test('fromCommand: the environment is inherited, with env added (PATH still finds commands)', async () => {
  const credentials = await resolverOf(
    fromCommand('sh', ['-c', 'printf "%s-%s" "$EXTRA" "$(command -v sh >/dev/null && echo found)"'], {
      env: { EXTRA: 'extra' },
    }),
  ).resolve();
  expect(credentials.apiKey).toBe('extra-found');
});

test('fromCommand: non-zero exit → provider_failed naming command and exit code; stdout/stderr key masked', async () => {
  const key = fakeKey('project');
  const source = fromCommand(
    'sh',
    ['-c', 'printf "%s" "$KEY"; echo "cannot decrypt $KEY for you" >&2; exit 3'],
    {
      env: { KEY: key },
    },
  );
  const error = await failureOf(resolverOf(source).resolve());
  expect(error.code).toBe('provider_failed');
  expect(error.message).toMatch(
    /^The command sh -c .* exited with code 3: cannot decrypt sk-proj-…\w{4} for you$/,
  );
  expect(error.details.exitCode).toBe(3);
  expect(error.details.command).toBe('sh');
  assertNoLeak({ errors: [error] }, [key]);
});

test('fromCommand: a short secret on stdout is masked in stderr by value too, even when not key-shaped', async () => {
  const secret = 'hunter2-opaque-token';
  const source = fromCommand('sh', ['-c', 'echo "$S"; echo "token $S rejected" >&2; exit 1'], {
    env: { S: secret },
  });
  const error = await failureOf(resolverOf(source).resolve());
  expect(error.message.includes(secret)).toBe(false);
});

test('fromCommand: a command that hangs → provider_timeout at timeoutMs, and the process is killed', async () => {
  await inTempDir(async (dir) => {
    const source = fromCommand('sh', ['-c', `echo $$ > ${dir}/pid; exec sleep 30`], { timeoutMs: 300 });
    const started = Date.now();
    const error = await failureOf(resolverOf(source).resolve());
    expect(error.code).toBe('provider_timeout');
    expect(Date.now() - started).toBeLessThan(2000);
    const pid = Number(await readFile(`${dir}/pid`, 'utf8'));
    expect(await waitForExit(pid, 2000)).toBe(true);
  });
});

test('fromCommand: a command that ignores SIGTERM is killed with SIGKILL after the grace period', async () => {
  await inTempDir(async (dir) => {
    const script = `trap "" TERM; echo $$ > ${dir}/pid; while :; do sleep 0.05; done`;
    // A generous timeout, so that the trap is surely in place when SIGTERM comes, even on a loaded machine.
    const error = await failureOf(
      resolverOf(fromCommand('sh', ['-c', script], { timeoutMs: 1000 })).resolve(),
    );
    expect(error.code).toBe('provider_timeout');
    const pid = Number(await readFile(`${dir}/pid`, 'utf8'));
    expect(isAlive(pid)).toBe(true);
    expect(await waitForExit(pid, 5000)).toBe(true);
  });
}, 15_000);

test('fromCommand: output beyond maxBytes fails the load and stops the process', async () => {
  const started = Date.now();
  const error = await failureOf(resolverOf(fromCommand('yes', [], { maxBytes: 1024 })).resolve());
  expect(error.code).toBe('provider_failed');
  expect(error.message).toMatch(/printed more than 1024 bytes/);
  expect(Date.now() - started).toBeLessThan(3000);
});

test('fromCommand: no shell — metacharacters in arguments reach the command as they are', async () => {
  const credentials = await resolverOf(fromCommand('printf', ['%s', '$HOME;id`id`|x'])).resolve();
  expect(credentials.apiKey).toBe('$HOME;id`id`|x');
});

test('fromCommand: printed nothing, or broken JSON holding the key → provider_failed without the key', async () => {
  const key = fakeKey('project');
  const empty = await failureOf(resolverOf(fromCommand('true')).resolve());
  expect(empty.message).toMatch(/printed nothing/);
  const broken = fromCommand('sh', ['-c', 'printf \'{"apiKey": %s\' "$KEY"'], { env: { KEY: key } });
  const error = await failureOf(resolverOf(broken).resolve());
  expect(error.message).toMatch(/not valid JSON/);
  assertNoLeak({ errors: [empty, error] }, [key]);
});

test('fromCommand: a command that does not exist → provider_failed saying so', async () => {
  const error = await failureOf(resolverOf(fromCommand('openai-auth-no-such-command')).resolve());
  expect(error.code).toBe('provider_failed');
  expect(error.message).toMatch(/could not be started: not found/);
});

test('fromCommand: 20 concurrent first resolves run the command once (single-flight, then cached)', async () => {
  await inTempDir(async (dir) => {
    const key = fakeKey('project');
    const source = fromCommand('sh', ['-c', `echo run >> ${dir}/runs; sleep 0.1; printf "%s" "$KEY"`], {
      env: { KEY: key },
    });
    const resolver = resolverOf(source);
    const all = await Promise.all(Array.from({ length: 20 }, () => resolver.resolve()));
    await resolver.resolve();
    expect(new Set(all).size).toBe(1);
    expect((await readFile(`${dir}/runs`, 'utf8')).trim().split('\n').length).toBe(1);
  });
});
