import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assertNoLeak, fakeKey, fakeOrgId, fakeProjectId, startUpstream, type Upstream } from '@auth/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('./main.mjs', import.meta.url));
const start = fileURLToPath(new URL('./start.mjs', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a script of the app with exactly `env` (plus PATH): nothing of the developer's own OPENAI_* leaks in. */
function run(script: string, env: Record<string, string>, args: readonly string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const servers: Upstream[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function upstream(expectedKey: string): Promise<Upstream> {
  const server = await startUpstream({ expectedKey });
  servers.push(server);
  return server;
}

function expectOneBearer(api: Upstream, key: string): void {
  expect(api.requests.length).toBe(2);
  for (const request of api.requests) {
    expect(request.headers.authorization?.length).toBe(1);
    expect(request.headers.authorization?.[0] === `Bearer ${key}`).toBe(true);
  }
}

describe('node-script (spawned as a user runs it)', () => {
  it('with OPENAI_API_KEY and OPENAI_BASE_URL: lists models, streams the answer, no org/project headers', async () => {
    const key = fakeKey('project');
    const api = await upstream(key);
    const result = await run(main, { OPENAI_API_KEY: key, OPENAI_BASE_URL: api.url }, ['Say', 'hello']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(api.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'GET /v1/models',
      'POST /v1/chat/completions',
    ]);
    expectOneBearer(api, key);
    for (const request of api.requests) {
      expect(request.headers['openai-organization']).toBeUndefined();
      expect(request.headers['openai-project']).toBeUndefined();
    }
    expect(JSON.parse(api.requests[1]?.body ?? '{}').messages[0].content).toBe('Say hello');
    expect(result.stdout).toContain('OpenAI credentials: OK (node)');
    expect(result.stdout).toContain(`key: sk-proj-…${key.slice(-4)} (project)`);
    expect(result.stdout).toContain('← env OPENAI_API_KEY');
    expect(result.stdout).toContain('models: 4 available');
    expect(result.stdout).toContain('Hello from\n');
    assertNoLeak({ logs: [result.stdout, result.stderr], upstreamRequests: api.requests }, [key]);
  });

  it('with OPENAI_ORG_ID and OPENAI_PROJECT_ID: both headers on every request, once', async () => {
    const key = fakeKey('service_account');
    const organization = fakeOrgId();
    const project = fakeProjectId();
    const api = await upstream(key);
    const result = await run(main, {
      OPENAI_API_KEY: key,
      OPENAI_BASE_URL: api.url,
      OPENAI_ORG_ID: organization,
      OPENAI_PROJECT_ID: project,
    });
    expect(result.code).toBe(0);
    expectOneBearer(api, key);
    for (const request of api.requests) {
      expect(request.headers['openai-organization']).toEqual([organization]);
      expect(request.headers['openai-project']).toEqual([project]);
    }
    expect(result.stdout).toContain(`organization: ${organization}  ← env OPENAI_ORG_ID`);
    expect(result.stdout).toContain('Hello from\n');
    assertNoLeak({ logs: [result.stdout, result.stderr], upstreamRequests: api.requests }, [key]);
  });

  it('with no key: prints the report, exits 1, sends nothing', async () => {
    const api = await upstream(fakeKey('project'));
    const result = await run(main, { OPENAI_BASE_URL: api.url });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('NOT USABLE');
    expect(result.stdout).toContain('missing_credentials');
    expect(api.requests.length).toBe(0);
  });

  it('a key the upstream refuses: exits 1 with an error that holds no key', async () => {
    const key = fakeKey('project');
    const api = await upstream(fakeKey('project'));
    const result = await run(main, { OPENAI_API_KEY: key, OPENAI_BASE_URL: api.url });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error:');
    assertNoLeak({ logs: [result.stdout, result.stderr], upstreamRequests: api.requests }, [key]);
  });

  it('pnpm start without OPENAI_API_KEY: offline mode against the stub, said clearly', async () => {
    const result = await run(start, {});
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^offline mode: /);
    expect(result.stdout).toContain('Hello from\n');
    // The fake key is generated inside start.mjs: the scan for key shapes is what finds it if it leaks.
    assertNoLeak({ logs: [result.stdout, result.stderr] }, []);
  });
});
