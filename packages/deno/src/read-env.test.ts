import assert from 'node:assert/strict';
import { assertNoLeak, fakeKey } from '@auth/testkit';
import { type Finished, runDeno } from '../test/run-deno.ts';

/*
 * Deno's permissions, proven in real subprocesses: every flag combination a user may pick must leave the
 * resolver working (or failing with a typed error), never crash, never prompt, and say which flag to add.
 */

const fixture = 'test/fixtures/print-report.ts';
const allNames = [
  'OPENAI_API_KEY',
  'OPENAI_API_KEY_FILE',
  'OPENAI_ORG_ID',
  'OPENAI_ORG_ID_FILE',
  'OPENAI_PROJECT_ID',
  'OPENAI_PROJECT_ID_FILE',
  'OPENAI_BASE_URL',
];

function summary(run: Finished): {
  ok: boolean;
  error: string | null;
  apiKeyOrigin: string | null;
  warnings: string[];
} {
  assert.equal(run.code, 0, `the fixture must not crash (exit ${run.code}): ${run.stderr.slice(0, 500)}`);
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last);
}

Deno.test('without --allow-env: no crash, missing_credentials, and the report names --allow-env=OPENAI_API_KEY', async () => {
  const key = fakeKey('project');
  const run = await runDeno(['run', '--no-prompt', fixture], { OPENAI_API_KEY: key });
  const result = summary(run);
  assert.equal(result.ok, false);
  assert.equal(result.error, 'missing_credentials');
  assert.ok(result.warnings.includes('source_unreadable'), 'warned that the env is not readable');
  assert.match(
    run.stdout,
    /env not readable \(OPENAI_API_KEY\): NotCapable; on Deno run with --allow-env=OPENAI_API_KEY/,
  );
  assert.match(run.stdout, /--allow-env=OPENAI_API_KEY_FILE/);
  assertNoLeak({ logs: [run.stdout, run.stderr] }, [key]);
});

Deno.test('without --allow-env an explicit key still resolves; the env is reported unreadable, not fatal', async () => {
  const key = fakeKey('project');
  const envKey = fakeKey('project');
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/key`, key);
    const run = await runDeno(
      ['run', '--no-prompt', `--allow-read=${dir}`, fixture, '--explicit', `${dir}/key`],
      {
        OPENAI_API_KEY: envKey,
      },
    );
    const result = summary(run);
    assert.equal(result.ok, true);
    assert.equal(result.apiKeyOrigin, 'options.apiKey');
    assert.match(run.stdout, /--allow-env=OPENAI_ORG_ID/);
    assert.match(run.stdout, /--allow-env=OPENAI_PROJECT_ID/);
    assertNoLeak({ logs: [run.stdout, run.stderr] }, [key, envKey]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('with --allow-env=OTHER_NAME: the OPENAI_* variables are still refused and reported with their flag', async () => {
  const key = fakeKey('project');
  const run = await runDeno(['run', '--no-prompt', '--allow-env=OTHER_NAME', fixture], {
    OPENAI_API_KEY: key,
    OTHER_NAME: 'x',
  });
  const result = summary(run);
  assert.equal(result.error, 'missing_credentials');
  assert.match(run.stdout, /--allow-env=OPENAI_API_KEY\b/);
  assertNoLeak({ logs: [run.stdout, run.stderr] }, [key]);
});

Deno.test('with --allow-env=OPENAI_API_KEY only: the key resolves; the other variables are reported', async () => {
  const key = fakeKey('project');
  const run = await runDeno(['run', '--no-prompt', '--allow-env=OPENAI_API_KEY', fixture], {
    OPENAI_API_KEY: key,
  });
  const result = summary(run);
  assert.equal(result.ok, true);
  assert.equal(result.apiKeyOrigin, 'env OPENAI_API_KEY');
  assert.match(run.stdout, /--allow-env=OPENAI_PROJECT_ID\b/);
  assertNoLeak({ logs: [run.stdout, run.stderr] }, [key]);
});

Deno.test('with the full --allow-env list: key, organization and project from env, nothing unreadable', async () => {
  const key = fakeKey('service_account');
  const run = await runDeno(['run', '--no-prompt', `--allow-env=${allNames.join(',')}`, fixture], {
    OPENAI_API_KEY: key,
    OPENAI_ORG_ID: 'org-abcdefghijklmnopqrstuvwx',
    OPENAI_PROJECT_ID: 'proj_abcdefghijklmnopqrstuvwx',
  });
  const result = summary(run);
  assert.equal(result.ok, true);
  assert.equal(result.apiKeyOrigin, 'env OPENAI_API_KEY');
  assert.deepEqual(result.warnings, []);
  assert.doesNotMatch(run.stdout, /not readable/);
  assert.match(run.stdout, /organization: org-abcdefghijklmnopqrstuvwx {2}← env OPENAI_ORG_ID/);
  assertNoLeak({ logs: [run.stdout, run.stderr] }, [key]);
});

Deno.test('in a terminal, without --allow-env: no permission prompt opens, the report comes at once', async () => {
  // `script` gives the process a pseudo-terminal, where Deno.env.get alone would stop at "Deno requests env
  // access…" and wait for an answer.
  const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
  const command = `NO_COLOR=1 ${quote(Deno.execPath())} run ${fixture}`;
  const output = await new Deno.Command('script', {
    args: ['-qec', command, '/dev/null'],
    cwd: new URL('..', import.meta.url),
    stdin: 'null',
    stdout: 'piped',
    stderr: 'piped',
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  assert.doesNotMatch(text, /requests env access/);
  assert.match(text, /"error":"missing_credentials"/);
});
