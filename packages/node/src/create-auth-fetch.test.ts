import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertNoLeak, fakeKey, fakeOrgId, fakeProjectId, startUpstream, type Upstream } from '@auth/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, createAuthFetch, createResolver } from './index.ts';
import { scopedEnv } from './testing/scoped-env.ts';
import { startProxy, type TestProxy } from './testing/start-proxy.ts';

const env = scopedEnv();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  env.restore();
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function upstream(options: Parameters<typeof startUpstream>[0] = {}): Promise<Upstream> {
  const server = await startUpstream(options);
  cleanups.push(() => server.close());
  return server;
}

async function proxy(): Promise<TestProxy> {
  const server = await startProxy();
  cleanups.push(() => server.close());
  return server;
}

describe('createAuthFetch (undici)', () => {
  it('B16: sends exactly one "Authorization: Bearer <key>", org/project only when set', async () => {
    const key = fakeKey('project');
    const organization = fakeOrgId();
    const project = fakeProjectId();
    const api = await upstream({ expectedKey: key });
    const logs: unknown[] = [];
    const authFetch = createAuthFetch({
      apiKey: key,
      organization,
      project,
      baseURL: api.url,
      debug: (...args) => logs.push(args),
    });
    const response = await authFetch('/models');
    const body = await response.text();
    expect(response.status).toBe(200);
    const [first] = api.requests;
    expect(first?.headers.authorization?.length).toBe(1);
    expect(first?.headers.authorization?.[0] === `Bearer ${key}`).toBe(true);
    expect(first?.headers['openai-organization']).toEqual([organization]);
    expect(first?.headers['openai-project']).toEqual([project]);

    env.set({ OPENAI_API_KEY: key });
    const bare = createAuthFetch({ baseURL: api.url });
    await (await bare('/models')).text();
    expect(api.requests[1]?.headers['openai-organization']).toBeUndefined();
    expect(api.requests[1]?.headers['openai-project']).toBeUndefined();
    expect(logs.length).toBeGreaterThan(0);
    assertNoLeak({ upstreamRequests: api.requests, responses: [body, response], logs }, [key]);
  });

  it('C19: a baseURL that is plain http to another host throws invalid_base_url at construction', () => {
    let error: unknown;
    try {
      createAuthFetch({ apiKey: fakeKey('project'), baseURL: 'http://api.example.com/v1' });
    } catch (caught) {
      error = caught;
    }
    expect(AuthError.is(error) && error.code).toBe('invalid_base_url');
  });

  it('keeps connections alive: sequential requests reuse sockets', async () => {
    const key = fakeKey('project');
    let connections = 0;
    const server: Server = createServer((_, res) => res.end('{}'));
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const { port } = server.address() as AddressInfo;
    const authFetch = createAuthFetch({ apiKey: key, baseURL: `http://127.0.0.1:${port}/v1` });
    for (let i = 0; i < 10; i++) await (await authFetch('/models')).text();
    // undici's pool may open a second socket while the first is still finishing a response; never one each.
    expect(connections).toBeLessThan(3);
  });

  it('rotation: after invalidate the provider is asked again and the next request uses the new key', async () => {
    const keys = [fakeKey('project'), fakeKey('project')];
    let loads = 0;
    const api = await upstream();
    const resolver = createResolver({ baseURL: api.url, provider: async () => keys[loads++] });
    const authFetch = createAuthFetch({ resolver });
    await (await authFetch('/models')).text();
    resolver.invalidate();
    await (await authFetch('/models')).text();
    expect(api.requests.map((request) => request.headers.authorization?.[0] === `Bearer ${keys[0]}`)).toEqual(
      [true, false],
    );
    expect(api.requests[1]?.headers.authorization?.[0] === `Bearer ${keys[1]}`).toBe(true);
    assertNoLeak({ upstreamRequests: api.requests }, keys);
  });

  it('C20: a 401 invalid_api_key reloads the key and retries once; the 401 body never surfaces', async () => {
    const keys = [fakeKey('project'), fakeKey('project')] as const;
    let loads = 0;
    const api = await upstream({ expectedKey: keys[1] });
    const authFetch = createAuthFetch({ baseURL: api.url, provider: async () => keys[loads++ % 2] });
    const response = await authFetch('/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
    });
    const body = await response.text();
    expect(response.status).toBe(200);
    expect(api.requests.length).toBe(2);
    expect(api.requests[0]?.body).toBe(api.requests[1]?.body);
    assertNoLeak({ upstreamRequests: api.requests, responses: [body] }, keys);
  });

  describe('proxies (EnvHttpProxyAgent)', () => {
    it('HTTP_PROXY set and NO_PROXY empty: requests go through the proxy', async () => {
      const key = fakeKey('project');
      const api = await upstream({ expectedKey: key });
      const through = await proxy();
      // Loopback is not exempt by default in undici; an inherited NO_PROXY would be, so it is cleared.
      env.set({ HTTP_PROXY: through.url, NO_PROXY: '' });
      const authFetch = createAuthFetch({ apiKey: key, baseURL: api.url });
      const response = await authFetch('/models');
      const body = await response.text();
      expect(response.status).toBe(200);
      const host = new URL(api.url).host;
      expect(through.records.map((record) => `${record.method} ${record.target}`)).toEqual([
        `CONNECT ${host}`,
      ]);
      expect(api.requests.length).toBe(1);
      assertNoLeak({ upstreamRequests: api.requests, responses: [body], values: [through.records] }, [key]);
    });

    it('lower-case http_proxy works the same', async () => {
      const key = fakeKey('project');
      const api = await upstream({ expectedKey: key });
      const through = await proxy();
      env.set({ http_proxy: through.url });
      const authFetch = createAuthFetch({ apiKey: key, baseURL: api.url });
      expect((await authFetch('/models')).status).toBe(200);
      expect(through.records.length).toBe(1);
    });

    it('NO_PROXY naming the host bypasses the proxy, also when set after the fetch was created', async () => {
      const key = fakeKey('project');
      const api = await upstream({ expectedKey: key });
      const through = await proxy();
      env.set({ HTTP_PROXY: through.url, NO_PROXY: '127.0.0.1' });
      const authFetch = createAuthFetch({ apiKey: key, baseURL: api.url });
      expect((await authFetch('/models')).status).toBe(200);
      expect(through.records.length).toBe(0);
      env.set({ NO_PROXY: 'example.com' });
      expect((await authFetch('/models')).status).toBe(200);
      expect(through.records.length).toBe(1);
      env.set({ NO_PROXY: `localhost,127.0.0.1:${new URL(api.url).port}` });
      expect((await authFetch('/models')).status).toBe(200);
      expect(through.records.length).toBe(1);
      expect(api.requests.length).toBe(3);
    });

    it('without proxy variables requests go direct', async () => {
      const key = fakeKey('project');
      const api = await upstream({ expectedKey: key });
      const through = await proxy();
      const authFetch = createAuthFetch({ apiKey: key, baseURL: api.url });
      expect((await authFetch('/models')).status).toBe(200);
      expect(through.records.length).toBe(0);
    });
  });
});
