import { assertNoLeak, fakeKey, fakeOrgId, fakeProjectId, startUpstream, type Upstream } from '@auth/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthError } from './auth-error.ts';
import { createAuthFetch } from './create-auth-fetch.ts';
import { createResolver } from './create-resolver.ts';
import { fromProvider } from './from-provider.ts';
import { fromValues } from './from-values.ts';

const servers: Upstream[] = [];
async function upstream(options: Parameters<typeof startUpstream>[0] = {}): Promise<Upstream> {
  const server = await startUpstream(options);
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    expect(AuthError.is(error)).toBe(true);
    return error as AuthError;
  }
  throw new Error('expected a rejection');
}

function setup(api: Upstream, values: { apiKey: string; organization?: string; project?: string }) {
  const resolver = createResolver({ sources: [fromValues({ ...values, baseURL: api.url })] });
  return { resolver, authFetch: createAuthFetch({ resolver }) };
}

describe('createAuthFetch', () => {
  it('B16: the wire carries exactly "Authorization: Bearer <key>" once, never the key in the URL', async () => {
    const key = fakeKey('project');
    const organization = fakeOrgId();
    const project = fakeProjectId();
    const api = await upstream();
    const { authFetch } = setup(api, { apiKey: key, organization, project });
    const response = await authFetch('/models?limit=2');
    expect(response.status).toBe(200);
    const body = await response.json();
    const [request] = api.requests;
    expect(request?.target).toBe('/v1/models?limit=2');
    const rawAuth = request!.rawHeaders.filter(
      (_, index, all) => index % 2 === 0 && all[index]!.toLowerCase() === 'authorization',
    );
    expect(rawAuth).toHaveLength(1);
    expect(request!.headers.authorization).toEqual([`Bearer ${key}`]);
    expect(request!.headers['openai-organization']).toEqual([organization]);
    expect(request!.headers['openai-project']).toEqual([project]);
    assertNoLeak({ upstreamRequests: api.requests, responses: [body] }, [key]);
  });

  it('A8: no org/project configured → the headers are absent on the wire, not "undefined"', async () => {
    const key = fakeKey('project');
    const api = await upstream();
    const { authFetch } = setup(api, { apiKey: key });
    await (await authFetch(`${api.url}/models`)).text();
    expect(api.requests[0]!.headers['openai-organization']).toBeUndefined();
    expect(api.requests[0]!.headers['openai-project']).toBeUndefined();
    assertNoLeak({ upstreamRequests: api.requests }, [key]);
  });

  it('B13: caller authorization / OpenAI-Organization / openai-project in any case are replaced: one value each on the wire', async () => {
    const key = fakeKey('project');
    const organization = fakeOrgId();
    const attacker = fakeKey('user');
    const api = await upstream();
    const { authFetch } = setup(api, { apiKey: key, organization });
    await (
      await authFetch('/models', {
        headers: [
          ['authorization', `Bearer ${attacker}`],
          ['AUTHORIZATION', `Bearer ${attacker}`],
          ['OpenAI-Organization', 'org-attacker'],
          ['openai-project', 'proj_attacker'],
          ['x-trace', 'ok'],
        ],
      })
    ).text();
    const headers = api.requests[0]!.headers;
    expect(headers.authorization).toEqual([`Bearer ${key}`]);
    expect(headers['openai-organization']).toEqual([organization]);
    expect(headers['openai-project']).toBeUndefined();
    expect(headers['x-trace']).toEqual(['ok']);
    assertNoLeak({ upstreamRequests: api.requests }, [key, attacker]);
  });

  it('B15: caller Host, Content-Length, Transfer-Encoding, Connection, Keep-Alive, TE, Upgrade, Proxy-Authorization, Expect are dropped', async () => {
    const key = fakeKey('project');
    const api = await upstream();
    const { authFetch } = setup(api, { apiKey: key });
    const response = await authFetch('/chat/completions', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        Host: 'evil.test',
        'Content-Length': '1',
        'Transfer-Encoding': 'chunked',
        Connection: 'x-secret',
        'Keep-Alive': 'timeout=999',
        TE: 'trailers',
        Upgrade: 'websocket',
        'Proxy-Authorization': 'Basic c2VjcmV0',
        Expect: '100-continue',
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
    });
    expect(response.status).toBe(200);
    const request = api.requests[0]!;
    expect(request.headers.host).toEqual([new URL(api.origin).host]);
    expect(request.headers['content-length']).toEqual([String(request.body.length)]);
    for (const name of [
      'transfer-encoding',
      'keep-alive',
      'te',
      'upgrade',
      'proxy-authorization',
      'expect',
    ]) {
      expect(request.headers[name], name).toBeUndefined();
    }
    expect(request.headers.connection ?? []).not.toContain('x-secret');
    assertNoLeak({ upstreamRequests: api.requests }, [key]);
  });

  it('B14: caller header values that are objects or hold CR/LF are refused with invalid_header, value not echoed', async () => {
    const key = fakeKey('project');
    const api = await upstream();
    const { authFetch } = setup(api, { apiKey: key });
    const errors = [
      await rejection(
        authFetch('/models', { headers: { 'x-a': { toString: () => `${key}\r\nX: 1` } as never } }),
      ),
      await rejection(authFetch('/models', { headers: { 'x-b': `v\r\nx-evil: ${key}` } })),
    ];
    for (const error of errors) expect(error.code).toBe('invalid_header');
    expect(api.requests).toHaveLength(0);
    assertNoLeak({ errors }, [key]);
  });

  it('sends requests for other origins untouched, without credentials', async () => {
    const key = fakeKey('project');
    const api = await upstream();
    const other = await upstream();
    const { authFetch } = setup(api, { apiKey: key });
    await (await authFetch(`${other.url}/models`)).text();
    expect(other.requests[0]!.headers.authorization).toBeUndefined();
    assertNoLeak({ foreignRequests: other.requests }, [key]);
  });

  it('C18: 301/302/303/307/308 to another origin → redirect_blocked; the second server receives nothing', async () => {
    const key = fakeKey('project');
    const organization = fakeOrgId();
    const project = fakeProjectId();
    const api = await upstream();
    const second = await upstream();
    const { authFetch } = setup(api, { apiKey: key, organization, project });
    const errors: AuthError[] = [];
    for (const status of [301, 302, 303, 307, 308] as const) {
      api.reply({ type: 'redirect', status, location: `${second.url}/chat/completions?from=${status}` });
      const error = await rejection(
        authFetch('/chat/completions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: 'private prompt' }],
          }),
        }),
      );
      expect(error.code).toBe('redirect_blocked');
      expect(error.message).toContain(String(status));
      errors.push(error);
    }
    expect(second.requests).toHaveLength(0);
    expect(api.requests).toHaveLength(5);
    assertNoLeak({ errors, upstreamRequests: api.requests, foreignRequests: second.requests }, [key]);
  });

  it('C19: http to a non-loopback host, user:pass@, file:, data:, query or fragment → invalid_base_url at construction', () => {
    const resolver = createResolver({ sources: [fromValues({ apiKey: fakeKey('project') })] });
    for (const baseURL of [
      'http://api.example.com/v1',
      'https://user:s3cr3tpw@api.example.com/v1',
      'file:///etc/passwd',
      'data:text/plain,hi',
      'https://api.example.com/v1?key=x',
      'https://api.example.com/v1#frag',
      'not a url',
    ]) {
      let error: unknown;
      try {
        createAuthFetch({ resolver, baseURL });
      } catch (caught) {
        error = caught;
      }
      expect(AuthError.is(error) && error.code, baseURL).toBe('invalid_base_url');
      expect((error as Error).message).not.toContain('s3cr3tpw');
    }
    for (const baseURL of [
      'https://gateway.example.com/openai/v1',
      'http://127.0.0.1:8080/v1',
      'http://[::1]:8080',
      'http://localhost:1/v1',
    ]) {
      expect(() => createAuthFetch({ resolver, baseURL })).not.toThrow();
    }
  });

  it('C20: 401 invalid_api_key → invalidate, retry once with the new key, then return the 401 as it came', async () => {
    const first = fakeKey('project');
    const second = fakeKey('project');
    const api = await upstream();
    const load = vi.fn().mockResolvedValueOnce(first).mockResolvedValueOnce(second);
    const resolver = createResolver({ sources: [fromValues({ baseURL: api.url }), fromProvider(load)] });
    const authFetch = createAuthFetch({ resolver });
    api.reply({ type: 'auth_error', code: 'invalid_api_key' });
    const ok = await authFetch('/models');
    expect(ok.status).toBe(200);
    await ok.text();
    expect(load).toHaveBeenCalledTimes(2);
    expect(api.requests.map((request) => request.headers.authorization?.[0])).toEqual([
      `Bearer ${first}`,
      `Bearer ${second}`,
    ]);

    // The new key is refused too: one retry only, and the 401 body comes back intact.
    api.reply({ type: 'auth_error', code: 'invalid_api_key' });
    api.reply({ type: 'auth_error', code: 'invalid_api_key' });
    const third = fakeKey('project');
    load.mockResolvedValueOnce(third);
    const refused = await authFetch('/models');
    expect(refused.status).toBe(401);
    const body = (await refused.json()) as { error: { code: string } };
    expect(body.error.code).toBe('invalid_api_key');
    expect(api.requests).toHaveLength(4);
    assertNoLeak({ upstreamRequests: api.requests, responses: [body] }, [first, second, third]);
  });

  it('C20: a provider that returns the same key is not called in a loop; streaming bodies are not replayed', async () => {
    const key = fakeKey('project');
    const api = await upstream({ expectedKey: fakeKey('project') });
    const load = vi.fn(async () => key);
    const resolver = createResolver({ sources: [fromValues({ baseURL: api.url }), fromProvider(load)] });
    const authFetch = createAuthFetch({ resolver });
    const response = await authFetch('/models');
    expect(response.status).toBe(401);
    expect(load).toHaveBeenCalledTimes(2);
    expect(api.requests).toHaveLength(1);
    const echoed = await response.text();

    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"model":"gpt-4o-mini"}'));
        controller.close();
      },
    });
    const streamed = await authFetch('/embeddings', {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/json' },
    });
    expect(streamed.status).toBe(401);
    expect(api.requests).toHaveLength(2);
    expect(load).toHaveBeenCalledTimes(2);
    assertNoLeak({ upstreamRequests: api.requests, responses: [echoed] }, [key]);
  });

  it('C21 (auth fetch part): mismatched_organization, mismatched_project, no_organization and missing scopes are not retried', async () => {
    const key = fakeKey('project');
    const api = await upstream();
    const load = vi.fn(async () => key);
    const resolver = createResolver({ sources: [fromValues({ baseURL: api.url }), fromProvider(load)] });
    const authFetch = createAuthFetch({ resolver });
    for (const code of [
      'mismatched_organization',
      'mismatched_project',
      'no_organization',
      'missing_scopes',
    ] as const) {
      api.reply({ type: 'auth_error', code });
      expect((await authFetch('/models')).status).toBe(401);
    }
    expect(api.requests).toHaveLength(4);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('C23: an upstream that never sends headers → upstream_timeout at the configured limit', async () => {
    const key = fakeKey('project');
    const api = await upstream();
    const resolver = createResolver({ sources: [fromValues({ apiKey: key, baseURL: api.url })] });
    const authFetch = createAuthFetch({ resolver, timeoutMs: 150 });
    api.reply({ type: 'stall', phase: 'headers' });
    const started = Date.now();
    const error = await rejection(authFetch('/models'));
    expect(error.code).toBe('upstream_timeout');
    expect(Date.now() - started).toBeLessThan(2000);
    assertNoLeak({ errors: [error] }, [key]);
  });

  it('C23: a body that stalls → upstream_timeout after the idle limit; a reset mid-stream → upstream_unreachable', async () => {
    const key = fakeKey('project');
    const api = await upstream();
    const resolver = createResolver({ sources: [fromValues({ apiKey: key, baseURL: api.url })] });
    const authFetch = createAuthFetch({ resolver, idleTimeoutMs: 150 });
    api.reply({ type: 'stall', phase: 'body' });
    const stalled = await authFetch('/chat/completions', { method: 'POST', body: '{"stream":true}' });
    expect(stalled.status).toBe(200);
    const idle = await rejection(stalled.text());
    expect(idle.code).toBe('upstream_timeout');

    api.reply({ type: 'reset', afterChunks: 2 });
    const cut = await authFetch('/chat/completions', { method: 'POST', body: '{"stream":true}' });
    const reset = await rejection(cut.text());
    expect(reset.code).toBe('upstream_unreachable');
    assertNoLeak({ errors: [idle, reset] }, [key]);
  });

  it('C23: the caller AbortSignal cancels the body and stays an AbortError; the upstream sees the disconnect', async () => {
    const key = fakeKey('project');
    const api = await upstream();
    const { authFetch } = setup(api, { apiKey: key });
    api.reply({ type: 'sse', chunks: 50, delayMs: 20 });
    const controller = new AbortController();
    const response = await authFetch('/chat/completions', {
      method: 'POST',
      body: '{"stream":true}',
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    let failure: unknown;
    try {
      while (!(await reader.read()).done);
    } catch (error) {
      failure = error;
    }
    expect((failure as Error).name).toBe('AbortError');
    await vi.waitFor(() => expect(api.requests[0]!.aborted).toBe(true));

    const early = new AbortController();
    early.abort();
    await expect(authFetch('/models', { signal: early.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('C26: debug logging of a success, a 401 retry and a stream shows credential headers as *** and no key shape', async () => {
    const first = fakeKey('project');
    const second = fakeKey('project');
    const api = await upstream();
    const lines: string[] = [];
    const load = vi.fn().mockResolvedValueOnce(first).mockResolvedValue(second);
    const resolver = createResolver({ sources: [fromValues({ baseURL: api.url }), fromProvider(load)] });
    const authFetch = createAuthFetch({
      resolver,
      debug: (message, details) => lines.push(`${message} ${JSON.stringify(details)}`),
    });
    await (await authFetch('/models', { headers: { cookie: 'session=abc', 'x-api-key': first } })).text();
    api.reply({ type: 'auth_error', code: 'invalid_api_key' });
    await (await authFetch('/models')).text();
    await (await authFetch('/chat/completions', { method: 'POST', body: '{"stream":true}' })).text();
    const joined = lines.join('\n');
    expect(joined).toContain('"authorization":"***"');
    expect(joined).toContain('retry');
    expect(joined).toMatch(/"requestId":"[^"]+"/);
    expect(joined).not.toContain('session=abc');
    assertNoLeak({ logs: lines }, [first, second]);
  });
});

describe('createAuthFetch: requests that never carry credentials', () => {
  it('does not resolve credentials for another origin (fixed baseURL) or a data: URL', async () => {
    const api = await upstream();
    const other = await upstream();
    const load = vi.fn(async () => fakeKey('project'));
    const resolver = createResolver({ sources: [fromProvider(load)] });
    const authFetch = createAuthFetch({ resolver, baseURL: api.url });
    await (await authFetch(`${other.url}/models`)).text();
    expect(await (await authFetch('data:,hello')).text()).toBe('hello');
    expect(load).not.toHaveBeenCalled();
    expect(other.requests[0]!.headers.authorization).toBeUndefined();
  });
});
