import assert from 'node:assert/strict';
import { assertNoLeak, fakeKey, fakeOrgId, fakeProjectId } from '@auth/testkit';
import { runDeno } from '../test/run-deno.ts';
import { AuthError, type CredentialSource, createResolver, fromCommand } from './index.ts';

/*
 * fromCommand on Deno.Command, against real processes. Keys reach the command through `env`, never argv, as a
 * user's would come from `pass` or `op`. Only the command source is in the chain (`sources`), so the
 * environment of the test runner cannot decide anything.
 */

const resolverOf = (source: CredentialSource) => createResolver({ sources: [source] });

async function failureOf(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(AuthError.is(error), 'a typed AuthError');
    return error;
  }
  throw new Error('expected a rejection');
}

/** `kill -0`: whether the process exists (Deno reads /proc only with --allow-all, and has no signal 0). */
async function isAlive(pid: number): Promise<boolean> {
  const { success } = await new Deno.Command('sh', { args: ['-c', `kill -0 ${pid} 2>/dev/null`] }).output();
  return success;
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!(await isAlive(pid))) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !(await isAlive(pid));
}

Deno.test('fromCommand: the printed key, trimmed, is the key; the report names the command', async () => {
  const key = fakeKey('project');
  const resolver = resolverOf(fromCommand('sh', ['-c', 'printf "%s\\n" "$KEY"'], { env: { KEY: key } }));
  const credentials = await resolver.resolve();
  assert.ok(credentials.apiKey === key, 'the exact key');
  const report = await resolver.report();
  assert.equal(report.fields.apiKey.origin, 'command sh -c "printf \\"%s\\\\n\\" \\"$KEY\\""');
  assertNoLeak({ values: [report, credentials] }, [key]);
});

Deno.test('fromCommand: JSON output gives organization, project and a lifetime when fields ask for them', async () => {
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
  assert.equal(credentials.organization, organization);
  assert.equal(credentials.project, project);
  assert.ok(
    credentials.expiresAt !== undefined && credentials.expiresAt > Date.now(),
    'expiry from the output',
  );
  assert.ok(credentials.headers().Authorization === `Bearer ${key}`);
});

Deno.test('fromCommand: the environment is inherited, with env added (PATH still finds commands)', async () => {
  const credentials = await resolverOf(
    fromCommand('sh', ['-c', 'printf "%s-%s" "$EXTRA" "$(command -v sh >/dev/null && echo found)"'], {
      env: { EXTRA: 'extra' },
    }),
  ).resolve();
  assert.equal(credentials.apiKey, 'extra-found');
});

Deno.test('fromCommand: non-zero exit → provider_failed naming command and exit code; stdout/stderr key masked', async () => {
  const key = fakeKey('project');
  const source = fromCommand(
    'sh',
    ['-c', 'printf "%s" "$KEY"; echo "cannot decrypt $KEY for you" >&2; exit 3'],
    {
      env: { KEY: key },
    },
  );
  const error = await failureOf(resolverOf(source).resolve());
  assert.equal(error.code, 'provider_failed');
  assert.match(
    error.message,
    /^The command sh -c .* exited with code 3: cannot decrypt sk-proj-…\w{4} for you$/,
  );
  assert.equal(error.details.exitCode, 3);
  assert.equal(error.details.command, 'sh');
  assertNoLeak({ errors: [error] }, [key]);
});

Deno.test('fromCommand: a short secret on stdout is masked in stderr by value too, even when not key-shaped', async () => {
  const secret = 'hunter2-opaque-token';
  const source = fromCommand('sh', ['-c', 'echo "$S"; echo "token $S rejected" >&2; exit 1'], {
    env: { S: secret },
  });
  const error = await failureOf(resolverOf(source).resolve());
  assert.ok(!error.message.includes(secret), 'stdout value not echoed through stderr');
});

Deno.test('fromCommand: a command that hangs → provider_timeout at timeoutMs, and the process is killed', async () => {
  const dir = await Deno.makeTempDir();
  try {
    const source = fromCommand('sh', ['-c', `echo $$ > ${dir}/pid; exec sleep 30`], { timeoutMs: 300 });
    const started = Date.now();
    const error = await failureOf(resolverOf(source).resolve());
    assert.equal(error.code, 'provider_timeout');
    assert.ok(Date.now() - started < 2000, 'bounded by timeoutMs');
    const pid = Number(await Deno.readTextFile(`${dir}/pid`));
    assert.ok(await waitForExit(pid, 2000), 'SIGTERM ended the process');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('fromCommand: a command that ignores SIGTERM is killed with SIGKILL after the grace period', async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `trap "" TERM; echo $$ > ${dir}/pid; while :; do sleep 0.05; done`;
    // A generous timeout, so that the trap is surely in place when SIGTERM comes, even on a loaded machine.
    const error = await failureOf(
      resolverOf(fromCommand('sh', ['-c', script], { timeoutMs: 1000 })).resolve(),
    );
    assert.equal(error.code, 'provider_timeout');
    const pid = Number(await Deno.readTextFile(`${dir}/pid`));
    assert.ok(await isAlive(pid), 'still there right after SIGTERM');
    assert.ok(await waitForExit(pid, 5000), 'gone after SIGKILL');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('fromCommand: output beyond maxBytes fails the load and stops the process', async () => {
  const started = Date.now();
  const error = await failureOf(resolverOf(fromCommand('yes', [], { maxBytes: 1024 })).resolve());
  assert.equal(error.code, 'provider_failed');
  assert.match(error.message, /printed more than 1024 bytes/);
  assert.ok(Date.now() - started < 3000, 'stopped, not read forever');
});

Deno.test('fromCommand: no shell — metacharacters in arguments reach the command as they are', async () => {
  const credentials = await resolverOf(fromCommand('printf', ['%s', '$HOME;id`id`|x'])).resolve();
  assert.equal(credentials.apiKey, '$HOME;id`id`|x');
});

Deno.test('fromCommand: printed nothing, or broken JSON holding the key → provider_failed without the key', async () => {
  const key = fakeKey('project');
  const empty = await failureOf(resolverOf(fromCommand('true')).resolve());
  assert.match(empty.message, /printed nothing/);
  const broken = fromCommand('sh', ['-c', 'printf \'{"apiKey": %s\' "$KEY"'], { env: { KEY: key } });
  const error = await failureOf(resolverOf(broken).resolve());
  assert.match(error.message, /not valid JSON/);
  assertNoLeak({ errors: [empty, error] }, [key]);
});

Deno.test('fromCommand: a command that does not exist → provider_failed saying so', async () => {
  const error = await failureOf(resolverOf(fromCommand('openai-auth-no-such-command')).resolve());
  assert.equal(error.code, 'provider_failed');
  assert.match(error.message, /could not be started: not found/);
});

Deno.test('fromCommand: 20 concurrent first resolves run the command once (single-flight, then cached)', async () => {
  const dir = await Deno.makeTempDir();
  try {
    const key = fakeKey('project');
    const source = fromCommand('sh', ['-c', `echo run >> ${dir}/runs; sleep 0.1; printf "%s" "$KEY"`], {
      env: { KEY: key },
    });
    const resolver = resolverOf(source);
    const all = await Promise.all(Array.from({ length: 20 }, () => resolver.resolve()));
    await resolver.resolve();
    assert.equal(new Set(all).size, 1);
    assert.equal((await Deno.readTextFile(`${dir}/runs`)).trim().split('\n').length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('fromCommand without --allow-run: a typed error naming --allow-run=<command>, no crash', async () => {
  const run = await runDeno([
    'run',
    '--no-prompt',
    '--allow-env',
    'test/fixtures/print-report.ts',
    '--command',
    'sh',
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /"error":"provider_failed"/);
  assert.match(run.stdout, /could not be started: not allowed; run Deno with --allow-run=sh/);
});
