import { afterEach, describe, expect, it } from 'bun:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertNoLeak, fakeKey, fakeOrgId, fakeProjectId, startUpstream, type Upstream } from '@auth/testkit';

/*
 * The example run as a user runs it (`bun run src/main.ts`) against the test kit's stub API on 127.0.0.1,
 * with exactly the environment given, from an empty folder so no `.env` file is picked up: nothing of the
 * developer's own OPENAI_* variables leaks in.
 */

const main = new URL('./main.ts', import.meta.url).pathname;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const folders: string[] = [];
const servers: Upstream[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

async function emptyFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'bun-script-'));
  folders.push(folder);
  return folder;
}

async function start(env: Record<string, string>, args: readonly string[] = []): Promise<Run> {
  const child = Bun.spawn([process.execPath, 'run', main, ...args], {
    cwd: await emptyFolder(),
    env: { PATH: Bun.env.PATH ?? '', HOME: Bun.env.HOME ?? '', NO_COLOR: '1', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    timeout: 60_000,
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr };
}

async function upstream(expectedKey: string): Promise<Upstream> {
  const server = await startUpstream({ expectedKey });
  servers.push(server);
  return server;
}

function expectOneBearerEach(api: Upstream, key: string): void {
  expect(api.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
    'GET /v1/models',
    'POST /v1/chat/completions',
  ]);
  for (const request of api.requests) {
    expect(request.headers.authorization?.length).toBe(1);
    expect(request.headers.authorization?.[0] === `Bearer ${key}`).toBe(true);
  }
}

describe('bun-script (spawned as a user runs it)', () => {
  it('with OPENAI_API_KEY: lists models, streams the answer, no org/project headers', async () => {
    const key = fakeKey('project');
    const api = await upstream(key);
    const run = await start({ OPENAI_API_KEY: key, OPENAI_BASE_URL: api.url }, ['Say', 'hello']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expectOneBearerEach(api, key);
    for (const request of api.requests) {
      expect(request.headers['openai-organization']).toBeUndefined();
      expect(request.headers['openai-project']).toBeUndefined();
    }
    expect(JSON.parse(api.requests[1]?.body ?? '{}').messages[0].content).toBe('Say hello');
    expect(run.stdout).toMatch(/^online mode: talking to http:\/\/127\.0\.0\.1:\d+\/v1\./);
    expect(run.stdout).toContain('OpenAI credentials: OK (bun)');
    expect(run.stdout).toContain(`key: sk-proj-…${key.slice(-4)} (project)`);
    expect(run.stdout).toContain('← env OPENAI_API_KEY');
    expect(run.stdout).toContain('models: 4 available');
    expect(run.stdout).toContain('gpt-4o-mini> Say hello\nHello from\n');
    assertNoLeak({ logs: [run.stdout, run.stderr], upstreamRequests: api.requests }, [key]);
  });

  it('with OPENAI_ORG_ID and OPENAI_PROJECT_ID: both headers on every request, once', async () => {
    const key = fakeKey('service_account');
    const organization = fakeOrgId();
    const project = fakeProjectId();
    const api = await upstream(key);
    const run = await start({
      OPENAI_API_KEY: key,
      OPENAI_ORG_ID: organization,
      OPENAI_PROJECT_ID: project,
      OPENAI_BASE_URL: api.url,
    });
    expect(run.code).toBe(0);
    expectOneBearerEach(api, key);
    for (const request of api.requests) {
      expect(request.headers['openai-organization']).toEqual([organization]);
      expect(request.headers['openai-project']).toEqual([project]);
    }
    expect(run.stdout).toContain(`organization: ${organization}  ← env OPENAI_ORG_ID`);
    expect(run.stdout).toContain(`project: ${project}  ← env OPENAI_PROJECT_ID`);
    expect(run.stdout).toContain('Hello from\n');
    assertNoLeak({ logs: [run.stdout, run.stderr], upstreamRequests: api.requests }, [key]);
  });

  it('with the key in OPENAI_API_KEY_FILE: read with Bun.file, used once per request', async () => {
    const key = fakeKey('project');
    const folder = await emptyFolder();
    await writeFile(join(folder, 'openai_api_key'), `${key}\n`);
    const api = await upstream(key);
    const run = await start({
      OPENAI_API_KEY_FILE: join(folder, 'openai_api_key'),
      OPENAI_BASE_URL: api.url,
    });
    expect(run.code).toBe(0);
    expectOneBearerEach(api, key);
    expect(run.stdout).toContain(`← file ${join(folder, 'openai_api_key')} (OPENAI_API_KEY_FILE)`);
    assertNoLeak({ logs: [run.stdout, run.stderr], upstreamRequests: api.requests }, [key]);
  });

  it('without any key: offline mode against its own stub, says so, streams the answer', async () => {
    const run = await start({});
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^offline mode: no OpenAI API key is set/);
    expect(run.stdout).toContain('← options.apiKey');
    expect(run.stdout).toContain('Hello from\n');
    // No secret known here (the app made its own fake key): the scan looks for any key shape.
    assertNoLeak({ logs: [run.stdout, run.stderr] }, []);
  });

  it('a rejected key: exit 1 with the error, and OpenAI’s echo of the key is not printed', async () => {
    const key = fakeKey('project');
    const api = await upstream(fakeKey('project'));
    const run = await start({ OPENAI_API_KEY: key, OPENAI_BASE_URL: api.url });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: /);
    assertNoLeak({ logs: [run.stdout, run.stderr], upstreamRequests: api.requests }, [key]);
  });
});
