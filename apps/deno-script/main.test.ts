import assert from 'node:assert/strict';
import { assertNoLeak, fakeKey, fakeOrgId, fakeProjectId, startUpstream, type Upstream } from '@auth/testkit';

/*
 * The example run as a user runs it (`deno task start`, with the task's own permission flags), against the
 * test kit's stub API on 127.0.0.1, with exactly the environment given: nothing of the developer's own
 * OPENAI_* variables leaks in.
 */

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `deno task start` with `args`, or, with `command`, that deno command line instead (other permissions). */
async function start(
  env: Record<string, string>,
  args: readonly string[] = [],
  command?: string[],
): Promise<Run> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: command ?? ['task', '--quiet', 'start', ...args],
    cwd: new URL('.', import.meta.url),
    clearEnv: true,
    env: { PATH: Deno.env.get('PATH') ?? '', HOME: Deno.env.get('HOME') ?? '', NO_COLOR: '1', ...env },
    stdin: 'null',
    stdout: 'piped',
    stderr: 'piped',
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

async function withUpstream(expectedKey: string, body: (api: Upstream) => Promise<void>): Promise<void> {
  const api = await startUpstream({ expectedKey });
  try {
    await body(api);
  } finally {
    await api.close();
  }
}

function assertOneBearerEach(api: Upstream, key: string): void {
  assert.deepEqual(
    api.requests.map((request) => `${request.method} ${request.path}`),
    ['GET /v1/models', 'POST /v1/chat/completions'],
  );
  for (const request of api.requests) {
    assert.equal(request.headers.authorization?.length, 1, 'exactly one Authorization');
    assert.ok(request.headers.authorization?.[0] === `Bearer ${key}`, 'Bearer <key>, exactly');
  }
}

Deno.test('deno task start with OPENAI_API_KEY: lists models, streams the answer, no org/project headers', async () => {
  const key = fakeKey('project');
  await withUpstream(key, async (api) => {
    const run = await start({ OPENAI_API_KEY: key, OPENAI_BASE_URL: api.url }, ['Say', 'hello']);
    assert.equal(run.stderr, '');
    assert.equal(run.code, 0);
    assertOneBearerEach(api, key);
    for (const request of api.requests) {
      assert.equal(request.headers['openai-organization'], undefined);
      assert.equal(request.headers['openai-project'], undefined);
      assert.deepEqual(request.headers['x-stainless-runtime'], ['deno']);
    }
    assert.equal(JSON.parse(api.requests[1]?.body ?? '{}').messages[0].content, 'Say hello');
    assert.match(run.stdout, /^online mode: talking to http:\/\/127\.0\.0\.1:\d+\/v1\./);
    assert.ok(run.stdout.includes('OpenAI credentials: OK (deno)'));
    assert.ok(run.stdout.includes(`key: sk-proj-…${key.slice(-4)} (project)`));
    assert.ok(run.stdout.includes('← env OPENAI_API_KEY'));
    assert.ok(run.stdout.includes('models: 4 available'));
    assert.ok(run.stdout.includes('gpt-4o-mini> Say hello\nHello from\n'), 'the streamed text');
    assertNoLeak({ logs: [run.stdout, run.stderr], upstreamRequests: api.requests }, [key]);
  });
});

Deno.test('deno task start with OPENAI_ORG_ID and OPENAI_PROJECT_ID: both headers on every request, once', async () => {
  const key = fakeKey('service_account');
  const organization = fakeOrgId();
  const project = fakeProjectId();
  await withUpstream(key, async (api) => {
    const run = await start({
      OPENAI_API_KEY: key,
      OPENAI_ORG_ID: organization,
      OPENAI_PROJECT_ID: project,
      OPENAI_BASE_URL: api.url,
    });
    assert.equal(run.code, 0, run.stderr);
    assertOneBearerEach(api, key);
    for (const request of api.requests) {
      assert.deepEqual(request.headers['openai-organization'], [organization]);
      assert.deepEqual(request.headers['openai-project'], [project]);
    }
    assert.ok(run.stdout.includes(`organization: ${organization}  ← env OPENAI_ORG_ID`));
    assert.ok(run.stdout.includes(`project: ${project}  ← env OPENAI_PROJECT_ID`));
    assert.ok(run.stdout.includes('Hello from\n'));
    assertNoLeak({ logs: [run.stdout, run.stderr], upstreamRequests: api.requests }, [key]);
  });
});

Deno.test('deno task start with the key in OPENAI_API_KEY_FILE: read through Deno.open, used once per request', async () => {
  const key = fakeKey('project');
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/openai_api_key`, `${key}\n`);
    await withUpstream(key, async (api) => {
      const run = await start({ OPENAI_API_KEY_FILE: `${dir}/openai_api_key`, OPENAI_BASE_URL: api.url });
      assert.equal(run.code, 0, run.stderr);
      assertOneBearerEach(api, key);
      assert.ok(run.stdout.includes(`← file ${dir}/openai_api_key (OPENAI_API_KEY_FILE)`));
      assertNoLeak({ logs: [run.stdout, run.stderr], upstreamRequests: api.requests }, [key]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('deno task start without any key: offline mode against its own stub, says so, streams the answer', async () => {
  const run = await start({});
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^offline mode: no OpenAI API key is set/);
  assert.ok(run.stdout.includes('← options.apiKey'));
  assert.ok(run.stdout.includes('Hello from\n'));
  // No secret known here (the app made its own fake key): the scan looks for any key shape.
  assertNoLeak({ logs: [run.stdout, run.stderr] }, []);
});

Deno.test('a rejected key: exit 1 with the error, and OpenAI’s echo of the key is not printed', async () => {
  const key = fakeKey('project');
  await withUpstream(fakeKey('project'), async (api) => {
    const run = await start({ OPENAI_API_KEY: key, OPENAI_BASE_URL: api.url });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: /);
    assertNoLeak({ logs: [run.stdout, run.stderr], upstreamRequests: api.requests }, [key]);
  });
});

Deno.test('without --allow-env: the report names the flag to add, then the app goes offline; no crash, no prompt', async () => {
  const key = fakeKey('project');
  const run = await start(
    { OPENAI_API_KEY: key },
    [],
    ['run', '--no-prompt', '--allow-net=127.0.0.1', 'main.ts'],
  );
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.stdout.includes('OpenAI credentials: NOT USABLE (deno)'));
  assert.ok(run.stdout.includes('on Deno run with --allow-env=OPENAI_API_KEY'));
  assert.match(run.stdout, /offline mode: /);
  assert.ok(run.stdout.includes('Hello from\n'));
  assertNoLeak({ logs: [run.stdout, run.stderr] }, [key]);
});
