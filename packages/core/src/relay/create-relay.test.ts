import { gzipSync } from 'node:zlib';
import {
  assertNoLeak,
  authErrorCodes,
  fakeKey,
  fakeOrgId,
  fakeProjectId,
  type RecordedRequest,
  type Reply,
  startUpstream,
  type Upstream,
} from '@auth/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError } from '../auth-error.ts';
import { createResolver } from '../create-resolver.ts';
import { fromProvider } from '../from-provider.ts';
import { fromValues } from '../from-values.ts';
import { createMemoryRateLimitStore } from './create-memory-rate-limit-store.ts';
import { createRelay, type Relay } from './create-relay.ts';
import type { RateLimitStore } from './rate-limit-store.ts';
import type { RelayEvent, RelayOptions } from './relay-options.ts';

/*
 * The relay called in-process with real `Request`s against a real stub upstream on 127.0.0.1. Every test
 * that involves a key ends with `leakCheck()`: responses (bodies and headers), events and everything the
 * upstream received are scanned for the server key and any key shape.
 */

// biome-ignore lint/suspicious/noExplicitAny: parsed response bodies, read field by field in assertions.
type Json = Record<string, any>;

const APP = 'http://app.test';
const MOUNT = '/api/openai';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

async function upstreamServer(): Promise<Upstream> {
  const upstream = await startUpstream();
  cleanups.push(() => upstream.close());
  return upstream;
}

interface Harness {
  upstream: Upstream;
  key: string;
  relay: Relay;
  events: RelayEvent[];
  /** Sends through the relay as a same-origin, signed-in browser unless told otherwise. */
  send(path: string, init?: SendInit): Promise<Response>;
  /** Sends and reads the body as text (kept for the leak check). */
  text(path: string, init?: SendInit): Promise<{ response: Response; body: string }>;
  json(path: string, init?: SendInit): Promise<{ response: Response; body: Json }>;
  leakCheck(extraSecrets?: string[]): void;
}

type SendInit = Omit<RequestInit, 'headers' | 'body'> & {
  headers?: Record<string, string>;
  body?: unknown;
  /** Session user; `null` sends no session cookie. Default 'alice'. */
  user?: string | null;
};

async function setup(
  options: Partial<RelayOptions> & { key?: string; organization?: string; project?: string } = {},
): Promise<Harness> {
  const upstream = await upstreamServer();
  const key = options.key ?? fakeKey('project');
  const { key: _key, organization, project, ...relayOptions } = options;
  const resolver = createResolver({
    sources: [fromValues({ apiKey: key, baseURL: upstream.url, organization, project })],
  });
  const events: RelayEvent[] = [];
  const relay = createRelay({
    resolver,
    authorize: (request) => {
      const user = /(?:^|; )session=(\w+)/.exec(request.headers.get('cookie') ?? '')?.[1];
      return user === undefined ? null : { id: user };
    },
    mountPath: MOUNT,
    onEvent: (event) => events.push(event),
    ...relayOptions,
  });
  const captured: unknown[] = [];
  const send = async (path: string, init: SendInit = {}) => {
    const { user = 'alice', headers = {}, body, ...rest } = init;
    const method = init.method ?? (body === undefined ? 'GET' : 'POST');
    const requestHeaders: Record<string, string> = {
      origin: APP,
      'sec-fetch-site': 'same-origin',
      ...(body !== undefined && typeof body !== 'string' && !(body instanceof ReadableStream)
        ? { 'content-type': 'application/json' }
        : {}),
      ...(user === null ? {} : { cookie: `session=${user}` }),
      ...headers,
    };
    for (const [name, value] of Object.entries(requestHeaders)) if (value === '') delete requestHeaders[name];
    const requestBody =
      body === undefined || typeof body === 'string' || body instanceof ReadableStream
        ? body
        : JSON.stringify(body);
    const response = await relay(
      new Request(APP + MOUNT + path, {
        ...rest,
        method,
        headers: requestHeaders,
        ...(requestBody === undefined ? {} : { body: requestBody as BodyInit, duplex: 'half' }),
      } as RequestInit),
    );
    captured.push(response);
    return response;
  };
  const text = async (path: string, init?: SendInit) => {
    const response = await send(path, init);
    const body = await response.text();
    captured.push(body);
    return { response, body };
  };
  return {
    upstream,
    key,
    relay,
    events,
    send,
    text,
    async json(path, init) {
      const { response, body } = await text(path, init);
      return { response, body: JSON.parse(body) };
    },
    leakCheck(extraSecrets = []) {
      assertNoLeak({ responses: captured, values: events, upstreamRequests: upstream.requests }, [
        key,
        ...extraSecrets,
      ]);
    },
  };
}

/** A body that records whether anyone read it, and throws if they do. */
function untouchableBody(): { stream: ReadableStream<Uint8Array>; wasRead: () => boolean } {
  let read = false;
  // highWaterMark 0: a stream pulls nothing until someone reads (the default of 1 pulls once eagerly).
  const stream = new ReadableStream<Uint8Array>(
    {
      pull() {
        read = true;
        throw new Error('the relay must not read this body');
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, wasRead: () => read };
}

/** A body of `total` bytes sent in 64 KiB chunks, with no Content-Length (chunked). */
function chunkedBody(total: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const size = Math.min(65_536, total - sent);
      controller.enqueue(new TextEncoder().encode('x'.repeat(size)));
      sent += size;
    },
  });
}

async function waitFor(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function expectError(body: Json, code: string): void {
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'type']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
}

const only = (request: RecordedRequest | undefined, name: string) => request?.headers[name];

describe('createRelay: session and body (D27)', () => {
  it('D27: no session → 401 before the body is read or the upstream called, even with a 1 GB Content-Length', async () => {
    const h = await setup();
    const { stream, wasRead } = untouchableBody();
    const { response, body } = await h.json('/chat/completions', {
      user: null,
      body: stream,
      headers: { 'content-type': 'application/json', 'content-length': String(1024 ** 3) },
    });
    expect(response.status).toBe(401);
    expectError(body, 'unauthorized');
    expect(wasRead()).toBe(false);
    expect(h.upstream.requests).toHaveLength(0);
    expect(h.events).toMatchObject([{ status: 401, error: { code: 'unauthorized' } }]);
    expect(h.events[0]!.principalId).toBeUndefined();
    h.leakCheck();
  });

  it('D27: an invalid session (authorize → null, async) gets the same 401 and no upstream call', async () => {
    const h = await setup({ authorize: async () => null });
    const { response, body } = await h.json('/chat/completions', { body: { model: 'gpt-4o-mini' } });
    expect(response.status).toBe(401);
    expectError(body, 'unauthorized');
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('D27: a throwing authorize → 500 JSON, never forwarded; a principal without an id → 500', async () => {
    const thrower = await setup({
      authorize: () => {
        throw new Error('session store down');
      },
    });
    const { response, body } = await thrower.json('/models');
    expect(response.status).toBe(500);
    expectError(body, 'internal_error');
    expect(JSON.stringify(body)).not.toContain('session store');
    expect(thrower.events[0]!.error).toMatchObject({ code: 'authorize_failed' });
    const noId = await setup({ authorize: () => ({ id: '' }) });
    expect((await noId.send('/models')).status).toBe(500);
    expect(noId.events[0]!.error).toMatchObject({ code: 'invalid_principal' });
    expect(thrower.upstream.requests.length + noId.upstream.requests.length).toBe(0);
  });

  it('the happy path: the session principal is relayed with the server key, usage and request id reported', async () => {
    const h = await setup();
    const { response, body } = await h.json('/chat/completions', {
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(response.status).toBe(200);
    expect(body.object).toBe('chat.completion');
    expect(h.upstream.requests).toHaveLength(1);
    const sent = h.upstream.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.target).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toEqual([`Bearer ${h.key}`]);
    expect(sent.headers['content-type']).toEqual(['application/json']);
    expect(JSON.parse(sent.body)).toMatchObject({ model: 'gpt-4o-mini' });
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(response.headers.get('vary')).toContain('Origin');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(h.events).toHaveLength(1);
    expect(h.events[0]).toMatchObject({
      principalId: 'alice',
      method: 'POST',
      route: 'POST /chat/completions',
      status: 200,
      upstreamStatus: 200,
      upstreamRequestId: response.headers.get('x-request-id'),
      stream: false,
      usage: { inputTokens: 9, outputTokens: 5, totalTokens: 14 },
    });
    expect(h.events[0]!.durationMs).toBeGreaterThanOrEqual(0);
    h.leakCheck();
  });
});

describe('createRelay: credentials never cross (D29, D36)', () => {
  it('D29: browser Authorization, OpenAI-Organization/-Project, Cookie, api-key, x-api-key, x-forwarded-*, Forwarded, Host never reach upstream', async () => {
    const organization = fakeOrgId();
    const project = fakeProjectId();
    const h = await setup({ organization, project });
    const attacker = fakeKey('user');
    const { response } = await h.text('/chat/completions', {
      body: { model: 'gpt-4o-mini' },
      headers: {
        authorization: `Bearer ${attacker}`,
        'openai-organization': fakeOrgId(),
        'openai-project': fakeProjectId(),
        cookie: 'session=alice; other=secret-cookie',
        'api-key': attacker,
        'x-api-key': attacker,
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-host': 'evil.test',
        'x-forwarded-proto': 'https',
        forwarded: 'for=203.0.113.9;host=evil.test',
        host: 'evil.test',
        'x-custom-session': 'app-token',
      },
    });
    expect(response.status).toBe(200);
    const sent = h.upstream.requests[0]!;
    expect(sent.headers.authorization).toEqual([`Bearer ${h.key}`]);
    expect(sent.headers['openai-organization']).toEqual([organization]);
    expect(sent.headers['openai-project']).toEqual([project]);
    for (const name of [
      'cookie',
      'api-key',
      'x-api-key',
      'x-forwarded-for',
      'x-forwarded-host',
      'x-forwarded-proto',
      'forwarded',
      'x-custom-session',
    ]) {
      expect(only(sent, name), name).toBeUndefined();
    }
    expect(sent.headers.host).toEqual([new URL(h.upstream.origin).host]);
    h.leakCheck([attacker]);
  });

  it('D36: hop-by-hop headers and the headers Connection names never reach upstream', async () => {
    const h = await setup();
    await h.text('/models', {
      headers: {
        connection: 'close, X-Secret, accept',
        'x-secret': 'v',
        accept: 'application/json',
        'keep-alive': 'timeout=5',
        te: 'gzip',
        trailer: 'x-trailer',
        upgrade: 'websocket',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        'proxy-connection': 'keep-alive',
        'openai-beta': 'assistants=v2',
      },
    });
    const sent = h.upstream.requests[0]!;
    for (const name of [
      'x-secret',
      'keep-alive',
      'te',
      'trailer',
      'upgrade',
      'proxy-authorization',
      'proxy-connection',
    ]) {
      expect(only(sent, name), name).toBeUndefined();
    }
    // Connection named it, so the browser's Accept stays behind (fetch then sends its own default).
    expect(sent.headers.accept).not.toContain('application/json');
    expect(sent.headers['openai-beta']).toEqual(['assistants=v2']);
    expect(sent.headers['transfer-encoding']).toBeUndefined();
  });

  it('D36: upstream Set-Cookie, hop-by-hop, Connection-named and organization headers never come back', async () => {
    const h = await setup();
    h.upstream.reply({
      type: 'raw',
      handler: (_req, res) => {
        res.setHeader('set-cookie', ['__cf_bm=abc; Path=/', 'other=1']);
        res.setHeader('connection', 'keep-alive, X-Upstream-Secret, x-request-id');
        res.setHeader('x-upstream-secret', 'v');
        res.setHeader('keep-alive', 'timeout=5');
        res.setHeader('openai-organization', 'acme-corp');
        res.setHeader('x-ratelimit-remaining-tokens', '1234');
        res.setHeader('openai-version', '2020-10-01');
        res.setHeader('content-type', 'application/json');
        res.end('{"object":"list","data":[]}');
      },
    });
    const { response, body } = await h.text('/models');
    expect(response.status).toBe(200);
    expect(body).toBe('{"object":"list","data":[]}');
    const names = [...response.headers.keys()];
    for (const name of [
      'set-cookie',
      'connection',
      'x-upstream-secret',
      'keep-alive',
      'transfer-encoding',
      'openai-organization',
      'x-ratelimit-remaining-tokens',
      'x-request-id',
      'content-length',
    ]) {
      expect(names, name).not.toContain(name);
    }
    expect(response.headers.get('openai-version')).toBe('2020-10-01');
  });

  it('a gzip-encoded upstream body reaches the browser decoded, without Content-Encoding or a stale Content-Length', async () => {
    const h = await setup();
    const json = JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model' }] });
    h.upstream.reply({
      type: 'raw',
      handler: (_req, res) => {
        const gz = gzipSync(json);
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'content-length': gz.length,
        });
        res.end(gz);
      },
    });
    const { response, body } = await h.text('/models');
    expect(body).toBe(json);
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(response.headers.get('content-length')).toBeNull();
  });
});

describe('createRelay: paths and methods (D30, D31)', () => {
  it('D30: allowed paths go to the fixed origin + base path + the same segments', async () => {
    const h = await setup({ routes: ['POST /responses', 'POST /chat/completions', 'GET /models/{model}'] });
    expect(
      (await h.text('/responses', { body: { model: 'gpt-4o-mini', input: 'hi' } })).response.status,
    ).toBe(200);
    expect((await h.text('/chat/completions', { body: { model: 'gpt-4o-mini' } })).response.status).toBe(200);
    const fineTuned = 'ft:gpt-4o-mini-2024-07-18:org-name:suffix:AbC123';
    expect((await h.text(`/models/${fineTuned}`)).response.status).toBe(200);
    expect(h.upstream.requests.map((request) => request.target)).toEqual([
      '/v1/responses',
      '/v1/chat/completions',
      `/v1/models/${fineTuned}`,
    ]);
    h.leakCheck();
  });

  it('D30: traversal, encoded separators, double encoding, absolute URLs, @ and ; params → 403/404, upstream never called', async () => {
    const h = await setup();
    const attempts = [
      '/organization/admin_api_keys',
      '/organization/projects/proj_1/api_keys',
      '/projects/proj_1/roles',
      '/v1/../organization/admin_api_keys',
      '/models/../../organization/admin_api_keys',
      '/%2e%2e%2forganization/admin_api_keys',
      '/models/%2e%2e/%2e%2e/organization/users',
      '/models%2f..%2forganization',
      '/models/%252e%252e',
      '/models/%5c..%5cevil',
      '//evil.test/x',
      '/http://evil.test/',
      '/\\\\evil.test',
      '/@evil.test',
      '/models/@evil.test',
      '/models;jsessionid=1',
      '/models/gpt-4o;x=1',
      '/models/',
      '/files',
      '/chat/completions/x/y',
      'X/models',
    ];
    for (const attempt of attempts) {
      const { response, body } = await h.json(attempt, attempt.startsWith('/chat') ? { body: {} } : {});
      expect([403, 404], attempt).toContain(response.status);
      expect(body.error.code, attempt).toMatch(/^(invalid_path|route_not_allowed|route_not_found)$/);
    }
    expect(h.upstream.requests).toHaveLength(0);
    // Admin endpoints are refused as such, whatever the method.
    expect((await h.json('/organization/users', { method: 'DELETE' })).body.error.code).toBe(
      'route_not_allowed',
    );
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('D30: a request outside the mount path → 404', async () => {
    const h = await setup();
    const response = await h.relay(
      new Request(`${APP}/api/other/models`, { headers: { cookie: 'session=alice' } }),
    );
    expect(response.status).toBe(404);
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('D31: PUT, PATCH, DELETE, TRACE, CONNECT → 405 with Allow; upstream never called', async () => {
    const h = await setup();
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const { response, body } = await h.json('/chat/completions', { method, body: {} });
      expect(response.status, method).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expectError(body, 'method_not_allowed');
    }
    // `new Request` refuses TRACE and CONNECT; a server adapter could still hand one over, so fake it.
    for (const method of ['TRACE', 'CONNECT', 'TRACK']) {
      class OddRequest extends Request {
        override get method() {
          return method;
        }
      }
      const response = await h.relay(
        new OddRequest(`${APP}${MOUNT}/models`, { headers: { cookie: 'session=alice' } }),
      );
      expect(response.status, method).toBe(405);
      expect(response.headers.get('allow')).toBe('GET');
    }
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('D31: OPTIONS is only a CORS preflight: without Access-Control-Request-Method it is 405', async () => {
    const h = await setup();
    const plain = await h.send('/chat/completions', { method: 'OPTIONS' });
    expect(plain.status).toBe(405);
    expect(plain.headers.get('allow')).toBe('POST');
    const preflight = await h.send('/chat/completions', {
      method: 'OPTIONS',
      user: null,
      headers: {
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type, authorization');
    const wrongMethod = await h.send('/chat/completions', {
      method: 'OPTIONS',
      headers: { 'access-control-request-method': 'DELETE' },
    });
    expect(wrongMethod.status).toBe(405);
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('routes are checked against the OpenAPI spec at creation', async () => {
    const upstream = await upstreamServer();
    const resolver = createResolver({
      sources: [fromValues({ apiKey: fakeKey('project'), baseURL: upstream.url })],
    });
    const make = (routes: RelayOptions['routes']) => () =>
      createRelay({ resolver, authorize: () => null, routes });
    expect(make(['GET /organization/users'])).toThrow(/admin key/);
    expect(make(['GET /organization/anything/new'])).toThrow(/admin key/);
    expect(make(['GET /projects/{project_id}/roles'])).toThrow(/admin key/);
    expect(make(['GET /nonexistent'])).toThrow(/not an operation of the OpenAI API/);
    expect(make(['PUT /chat/completions'])).toThrow(/the spec has GET, POST \/chat\/completions/);
    expect(make(['POST chat/completions' as never])).toThrow(/is not "<GET/);
    expect(make(['GET /models/%2e%2e' as never])).toThrow(/is not "<GET/);
    expect(make(['GET /files/{id}', 'GET /files/{file_id}/content'])).not.toThrow();
    expect(() => createRelay({ resolver, authorize: () => null, origins: ['*'] })).toThrow(/exact origin/);
    expect(() =>
      createRelay({ resolver, authorize: () => null, origins: ['https://app.example.com/'] }),
    ).toThrow(/exact origin/);
    expect(() => createRelay({ resolver, authorize: () => null, mountPath: '/api/../x' })).toThrow(
      /mountPath/,
    );
    expect(() => createRelay({ resolver, authorize: () => null, limits: { maxBodyBytes: -1 } })).toThrow(
      /positive/,
    );
    expect(() => createRelay({ resolver } as never)).toThrow(/authorize/);
  });

  it('an opted-in route with a parameter is relayed; the rest of its family is not', async () => {
    const h = await setup({ routes: ['GET /files/{file_id}'] });
    h.upstream.setDefault({ type: 'json', body: { id: 'file-abc', object: 'file' } });
    expect((await h.text('/files/file-abc')).response.status).toBe(200);
    expect((await h.text('/files')).response.status).toBe(404);
    expect((await h.text('/files/file-abc', { method: 'DELETE' })).response.status).toBe(405);
    expect(h.upstream.requests.map((request) => request.target)).toEqual(['/v1/files/file-abc']);
  });

  it('the query string is forwarded as is, after the validated path', async () => {
    const h = await setup({ routes: ['GET /files'] });
    h.upstream.setDefault({ type: 'json', body: { object: 'list', data: [] } });
    await h.text('/files?limit=2&after=file-x&purpose=assistants');
    expect(h.upstream.requests[0]!.target).toBe('/v1/files?limit=2&after=file-x&purpose=assistants');
  });
});

describe('createRelay: CORS and CSRF (D32, D33)', () => {
  const allowed = 'https://app.example.com';

  it('D32: an allowed origin is echoed exactly with credentials and Vary: Origin, never *', async () => {
    const h = await setup({ origins: [allowed] });
    const { response } = await h.text('/models', {
      headers: { origin: allowed, 'sec-fetch-site': 'cross-site' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-expose-headers')).toContain('x-request-id');
    expect(response.headers.get('vary')).toContain('Origin');
    const preflight = await h.send('/chat/completions', {
      method: 'OPTIONS',
      user: null,
      headers: { origin: allowed, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('vary')).toMatch(/Origin/);
  });

  it('D32: unlisted, null, look-alike, subdomain, scheme and port variants get 403 and no ACAO', async () => {
    const h = await setup({ origins: [allowed] });
    const hostile = [
      'https://evil.test',
      'null',
      'https://app.example.com.evil.test',
      'https://evilapp.example.com',
      'https://evil.app.example.com',
      'http://app.example.com',
      'https://app.example.com:8443',
      'https://APP.example.com',
      `${allowed}/`,
    ];
    for (const origin of hostile) {
      for (const response of [
        await h.send('/chat/completions', {
          body: { model: 'gpt-4o-mini' },
          headers: { origin, 'sec-fetch-site': 'cross-site' },
        }),
        await h.send('/chat/completions', {
          method: 'OPTIONS',
          user: null,
          headers: { origin, 'access-control-request-method': 'POST', 'sec-fetch-site': 'cross-site' },
        }),
      ]) {
        expect(response.status, origin).toBe(403);
        expect(response.headers.get('access-control-allow-origin'), origin).toBeNull();
        expect(response.headers.get('access-control-allow-credentials'), origin).toBeNull();
        expect(response.headers.get('vary')).toContain('Origin');
      }
    }
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('D33: Sec-Fetch-Site cross-site → 403; same-origin → OK; none → OK', async () => {
    const h = await setup();
    const crossSite = await h.json('/chat/completions', {
      body: { model: 'gpt-4o-mini' },
      headers: { origin: '', 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.response.status).toBe(403);
    expectError(crossSite.body, 'cross_site_request');
    const sameSite = await h.send('/chat/completions', {
      body: { model: 'gpt-4o-mini' },
      headers: { origin: '', 'sec-fetch-site': 'same-site' },
    });
    expect(sameSite.status).toBe(403);
    expect(h.upstream.requests).toHaveLength(0);
    const sameOrigin = await h.text('/chat/completions', {
      body: { model: 'gpt-4o-mini' },
      headers: { origin: '', 'sec-fetch-site': 'same-origin' },
    });
    expect(sameOrigin.response.status).toBe(200);
    expect(h.upstream.requests).toHaveLength(1);
  });

  it('D33: without Sec-Fetch-*, Origin or else Referer must match on POST', async () => {
    const h = await setup();
    const post = (headers: Record<string, string>) =>
      h.text('/chat/completions', {
        body: { model: 'gpt-4o-mini' },
        headers: { 'sec-fetch-site': '', ...headers },
      });
    expect((await post({ origin: 'https://evil.test' })).response.status).toBe(403);
    expect((await post({ origin: '' })).response.status).toBe(403);
    expect((await post({ origin: '', referer: 'https://evil.test/page' })).response.status).toBe(403);
    expect((await post({ origin: '', referer: 'not a url' })).response.status).toBe(403);
    expect(h.upstream.requests).toHaveLength(0);
    expect((await post({ origin: APP })).response.status).toBe(200);
    expect((await post({ origin: '', referer: `${APP}/chat?x=1` })).response.status).toBe(200);
    expect(h.upstream.requests).toHaveLength(2);
    // A GET without any of them (curl with a session, an old browser) is not a CSRF risk.
    expect((await h.text('/models', { headers: { origin: '', 'sec-fetch-site': '' } })).response.status).toBe(
      200,
    );
  });

  it('D33: text/plain, form-urlencoded, multipart and missing content types on POST → 415', async () => {
    const h = await setup();
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      '',
    ]) {
      const { response, body } = await h.json('/chat/completions', {
        body: '{"model":"gpt-4o-mini"}',
        headers: { 'content-type': type },
      });
      expect(response.status, type).toBe(415);
      expectError(body, 'unsupported_media_type');
    }
    expect(h.upstream.requests).toHaveLength(0);
    const withCharset = await h.text('/chat/completions', {
      body: '{"model":"gpt-4o-mini"}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(withCharset.response.status).toBe(200);
  });
});

describe('createRelay: body limits (D34) and the model allowlist', () => {
  it('D34: Content-Length over the limit → 413 without reading the body', async () => {
    const h = await setup({ limits: { maxBodyBytes: 1024 } });
    const { stream, wasRead } = untouchableBody();
    const { response, body } = await h.json('/chat/completions', {
      body: stream,
      headers: { 'content-type': 'application/json', 'content-length': '1025' },
    });
    expect(response.status).toBe(413);
    expectError(body, 'body_too_large');
    expect(wasRead()).toBe(false);
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('D34: a chunked body crossing the limit while streaming → 413, the upstream never started', async () => {
    const h = await setup({ limits: { maxBodyBytes: 100_000 } });
    const { response, body } = await h.json('/chat/completions', {
      body: chunkedBody(10 * 1024 * 1024),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(413);
    expectError(body, 'body_too_large');
    expect(h.upstream.requests).toHaveLength(0);
    // Exactly at the limit is fine.
    const shell = JSON.stringify({ model: 'gpt-4o-mini', pad: '' });
    const json = JSON.stringify({ model: 'gpt-4o-mini', pad: 'x'.repeat(100_000 - shell.length) });
    expect(json.length).toBe(100_000);
    expect(
      (await h.text('/chat/completions', { body: json, headers: { 'content-type': 'application/json' } }))
        .response.status,
    ).toBe(200);
  });

  it('F47: a request body that stops arriving → 408 after timeoutMs, the upstream never started', async () => {
    const h = await setup({ limits: { timeoutMs: 150 } });
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"model":'));
      },
    });
    const started = Date.now();
    const { response, body } = await h.json('/chat/completions', {
      body: stalled,
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(408);
    expectError(body, 'body_timeout');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('F47: a body with a small declared length is read whole: short pauses that add up past timeoutMs → 408', async () => {
    const h = await setup({ limits: { timeoutMs: 150 } });
    // Pauses of 40 ms never trip a pause limit of 150 ms; the whole read of a small body is bounded instead.
    const parts = ['{"model"', ':"gpt', '-4o', '-mini', '","x"', ':1}'];
    let at = 0;
    const drip = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 40));
        if (at < parts.length) controller.enqueue(new TextEncoder().encode(parts[at++]!));
        else controller.close();
      },
    });
    const started = Date.now();
    const { response, body } = await h.json('/chat/completions', {
      body: drip,
      headers: { 'content-type': 'application/json', 'content-length': String(parts.join('').length) },
    });
    expect(response.status).toBe(408);
    expectError(body, 'body_timeout');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('a body with a declared length goes upstream byte for byte, and the model allowlist still reads it', async () => {
    const h = await setup({ models: ['gpt-4o-mini'] });
    const json = '{ "model" : "gpt-4o-mini", "messages": [{"role":"user","content":"h\u00e9 ✓"}] }';
    const length = String(new TextEncoder().encode(json).byteLength);
    const headers = { 'content-type': 'application/json', 'content-length': length };
    expect((await h.text('/chat/completions', { body: json, headers })).response.status).toBe(200);
    expect(h.upstream.requests[0]!.body).toBe(json);
    const denied = await h.json('/chat/completions', { body: json.replace('4o-mini', '4o-maxi'), headers });
    expect(denied.response.status).toBe(403);
    expectError(denied.body, 'model_not_allowed');
    expect(h.upstream.requests).toHaveLength(1);
    h.leakCheck();
  });

  it('D34: malformed Content-Length (1e3, -1, 1,1, +5, 0x10, empty) → 400', async () => {
    const h = await setup();
    for (const length of ['1e3', '-1', '1,1', '1, 1', '+5', '0x10', ' ']) {
      const { stream } = untouchableBody();
      const { response, body } = await h.json('/chat/completions', {
        body: stream,
        headers: { 'content-type': 'application/json', 'content-length': length },
      });
      expect(response.status, length).toBe(400);
      expectError(body, 'invalid_content_length');
    }
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('models: another model → 403; the listed one passes; what was checked is exactly what is sent', async () => {
    const h = await setup({ models: ['gpt-4o-mini'] });
    const refused = await h.json('/chat/completions', { body: { model: 'gpt-4o' } });
    expect(refused.response.status).toBe(403);
    expectError(refused.body, 'model_not_allowed');
    expect((await h.json('/chat/completions', { body: { model: 42 } })).response.status).toBe(403);
    // Duplicate keys: JSON.parse keeps the last; whatever the upstream's parser would keep, it gets one.
    const sneaky = await h.json('/chat/completions', {
      body: '{"model":"gpt-4o-mini","model":"gpt-4o"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(sneaky.response.status).toBe(403);
    expect(h.upstream.requests).toHaveLength(0);
    const deduped = await h.text('/chat/completions', {
      body: '{"model":"gpt-4o","model":"gpt-4o-mini"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(deduped.response.status).toBe(200);
    expect(h.upstream.requests[0]!.body).toBe('{"model":"gpt-4o-mini"}');
    const invalid = await h.json('/chat/completions', {
      body: '{"model":',
      headers: { 'content-type': 'application/json' },
    });
    expect(invalid.response.status).toBe(400);
    expectError(invalid.body, 'invalid_json');
    // No model named: the upstream's default applies.
    expect((await h.text('/moderations', { body: { input: 'hello' } })).response.status).toBe(200);
    expect(h.upstream.requests).toHaveLength(2);
  });

  it('models: a body with one plain model key goes upstream byte for byte; any other spelling is re-serialised', async () => {
    const h = await setup({ models: ['gpt-4o-mini'] });
    const send = (body: string) =>
      h.text('/chat/completions', { body, headers: { 'content-type': 'application/json' } });
    // JSON.parse would turn the seed into 1234567890123456800 and 1.50 into 1.5: the bytes keep them.
    const exact = '{ "model": "gpt-4o-mini", "seed": 1234567890123456789, "temperature": 1.50 }';
    expect((await send(exact)).response.status).toBe(200);
    expect(h.upstream.requests.at(-1)!.body).toBe(exact);
    // A key spelled with an escape is still "model" to every parser: checked, then re-serialised.
    expect((await send('{"model":"gpt-4o-mini","mo\\u0064el":"gpt-4o"}')).response.status).toBe(403);
    expect((await send('{"mo\\u0064el":"gpt-4o-mini","seed":1}')).response.status).toBe(200);
    expect(h.upstream.requests.at(-1)!.body).toBe('{"model":"gpt-4o-mini","seed":1}');
    // "model" twice (here once nested): re-serialised, the same content.
    expect((await send('{"model":"gpt-4o-mini","metadata":{"model":"x"}}')).response.status).toBe(200);
    expect(h.upstream.requests.at(-1)!.body).toBe('{"model":"gpt-4o-mini","metadata":{"model":"x"}}');
    // A byte order mark that decoding dropped is not sent on.
    expect((await send('\ufeff{"model":"gpt-4o-mini"}')).response.status).toBe(200);
    // (The stub's recorded text would drop a BOM too: the length shows what was sent.)
    expect(h.upstream.requests.at(-1)!.headers['content-length']).toEqual(['23']);
    expect(h.upstream.requests).toHaveLength(4);
  });
});

describe('createRelay: upstream errors (D37, C21, C22, C25)', () => {
  const authCodes = authErrorCodes;

  it('D37/C21: upstream 401s → generic 502 without OpenAI’s text; the event has the code, a distinct hint and x-request-id', async () => {
    const h = await setup();
    const hints = new Set<string>();
    for (const code of authCodes) {
      h.upstream.reply({ type: 'auth_error', code });
      const { response, body } = await h.json('/models');
      expect(response.status, code).toBe(502);
      expectError(body, 'upstream_auth_failed');
      const text = JSON.stringify(body);
      for (const fragment of [
        'Incorrect API key',
        'sk-',
        'header should match',
        'Missing scopes',
        'organization to use',
      ]) {
        expect(text, code).not.toContain(fragment);
      }
      const event = h.events.at(-1)!;
      expect(event).toMatchObject({
        status: 502,
        upstreamStatus: 401,
        error: { code: 'upstream_auth_failed' },
      });
      expect(event.upstreamRequestId).toMatch(/^req_/);
      if (code !== 'missing_scopes') expect(event.error!.upstreamCode).toBe(code);
      hints.add(event.error!.hint!);
    }
    expect(hints.size).toBe(authCodes.length);
    expect([...hints].find((hint) => hint.includes('api.model.read'))).toBeDefined();
    // invalid_api_key with a resolver that gives the same key again: one upstream call each, no retry loop.
    expect(h.upstream.requests).toHaveLength(authCodes.length);
    h.leakCheck();
  });

  it('D37: upstream 403 → 502 too', async () => {
    const h = await setup();
    h.upstream.reply({
      type: 'status',
      status: 403,
      body: {
        error: {
          message: `Project ${fakeProjectId()} lacks access`,
          type: 'invalid_request_error',
          code: 'unsupported_country_region_territory',
        },
      },
    });
    const { response, body } = await h.json('/models');
    expect(response.status).toBe(502);
    expectError(body, 'upstream_auth_failed');
    expect(JSON.stringify(body)).not.toContain('Project');
    expect(h.events[0]!.error).toMatchObject({ upstreamCode: 'unsupported_country_region_territory' });
  });

  it('F49: a 401 invalid_api_key after rotation reloads once, retries once with the new key, and succeeds', async () => {
    const upstream = await upstreamServer();
    const keys = [fakeKey('project'), fakeKey('project')];
    let loads = 0;
    const resolver = createResolver({
      sources: [fromValues({ baseURL: upstream.url }), fromProvider(() => keys[Math.min(loads++, 1)]!)],
    });
    const relay = createRelay({ resolver, authorize: () => ({ id: 'alice' }), mountPath: MOUNT });
    upstream.reply({ type: 'auth_error', code: 'invalid_api_key' });
    const response = await relay(new Request(`${APP}${MOUNT}/models`, { headers: { origin: APP } }));
    const body = await response.text();
    expect(response.status).toBe(200);
    expect(loads).toBe(2);
    expect(upstream.requests.map((request) => request.headers.authorization)).toEqual([
      [`Bearer ${keys[0]}`],
      [`Bearer ${keys[1]}`],
    ]);
    assertNoLeak({ responses: [response, body], upstreamRequests: upstream.requests.slice(1) }, keys);
  });

  it('D37: upstream 429 → 429 with a clamped Retry-After; 5xx → 502; a redirect is never followed', async () => {
    const h = await setup();
    const other = await upstreamServer();
    h.upstream.reply({ type: 'status', status: 429, retryAfter: '7' });
    const limited = await h.json('/models');
    expect(limited.response.status).toBe(429);
    expect(limited.response.headers.get('retry-after')).toBe('7');
    expectError(limited.body, 'upstream_rate_limited');
    expect(JSON.stringify(limited.body)).not.toContain('Rate limit reached for');
    expect(h.events.at(-1)!.error).toMatchObject({ upstreamCode: 'rate_limit_exceeded' });
    for (const status of [500, 502, 503, 504]) {
      h.upstream.reply({ type: 'status', status });
      const { response, body } = await h.json('/models');
      expect(response.status, String(status)).toBe(502);
      expectError(body, 'upstream_error');
      expect(response.headers.get('retry-after')).toBeNull();
    }
    for (const status of [301, 302, 303, 307, 308] as const) {
      h.upstream.reply({ type: 'redirect', status, location: `${other.url}/models` });
      const { response, body } = await h.json('/models');
      expect(response.status).toBe(502);
      expectError(body, 'upstream_redirect');
    }
    expect(other.requests).toHaveLength(0);
    h.leakCheck();
  });

  it('C22: Retry-After from retry-after-ms, seconds or an HTTP-date is passed on clamped to 1…60 s; garbage never', async () => {
    const h = await setup();
    const inTen = new Date(Date.now() + 10_000).toUTCString();
    const cases: [Partial<Extract<Reply, { type: 'status' }>>, (value: number) => boolean][] = [
      [{ retryAfterMs: '1500' }, (v) => v === 2],
      [{ retryAfterMs: '20', retryAfter: '30' }, (v) => v === 1],
      [{ retryAfter: '7' }, (v) => v === 7],
      [{ retryAfter: inTen }, (v) => v >= 9 && v <= 11],
      [{ retryAfter: new Date(Date.now() - 60_000).toUTCString() }, (v) => v === 1],
      [{ retryAfter: '99999999999' }, (v) => v === 60],
      [{ retryAfterMs: '1e9' }, (v) => v === 2],
      [{ retryAfter: '-5' }, (v) => v === 2],
      [{ retryAfter: 'soon' }, (v) => v === 2],
      [{ retryAfter: '1.5' }, (v) => v === 2],
      [{ retryAfterMs: 'NaN', retryAfter: '3' }, (v) => v === 3],
      [{}, (v) => v === 2],
    ];
    for (const [headers, check] of cases) {
      for (const status of [429, 503]) {
        h.upstream.reply({ type: 'status', status, ...headers });
        const response = await h.send('/models');
        await response.text();
        expect(response.status).toBe(status === 429 ? 429 : 502);
        const value = response.headers.get('retry-after');
        if (status === 503 && headers.retryAfter === undefined && headers.retryAfterMs === undefined) {
          expect(value).toBeNull();
          continue;
        }
        expect(value, JSON.stringify(headers)).toMatch(/^\d+$/);
        expect(check(Number(value)), `${JSON.stringify(headers)} → ${value}`).toBe(true);
      }
    }
  });

  it('C25: HTML, empty, 10 MB and invalid UTF-8 error bodies → typed JSON errors, read in bounded memory', async () => {
    const h = await setup();
    const bodies: [number, string | Uint8Array, string][] = [
      [400, '<html><body><h1>400 Bad Request</h1>nginx</body></html>', 'upstream_invalid_response'],
      [404, '', 'upstream_invalid_response'],
      [401, '<html>Unauthorized</html>', 'upstream_auth_failed'],
      [500, '<html>Internal Server Error</html>', 'upstream_error'],
      [400, new Uint8Array([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d]), 'upstream_invalid_response'],
      [422, '{"error":', 'upstream_invalid_response'],
      [400, '{"error":"a string"}', 'upstream_invalid_response'],
    ];
    for (const [status, payload, code] of bodies) {
      h.upstream.reply({
        type: 'raw',
        handler: (_req, res) => {
          res.writeHead(status, { 'content-type': 'text/html' });
          res.end(payload);
        },
      });
      const { response, body } = await h.json('/models');
      expect(response.status).toBe(code === 'upstream_auth_failed' ? 502 : 502);
      expectError(body, code);
      expect(JSON.stringify(body)).not.toMatch(/SyntaxError|Unexpected token|<html>/);
    }
    // 10 MB: the relay stops reading after 64 KiB and hangs up, so the upstream sees the client go away.
    let written = 0;
    h.upstream.reply({
      type: 'raw',
      handler: (_req, res) => {
        res.writeHead(400, { 'content-type': 'application/json' });
        const chunk = 'x'.repeat(64 * 1024);
        const write = () => {
          while (written < 10 * 1024 * 1024) {
            written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', write);
          }
          res.end();
        };
        write();
      },
    });
    const big = await h.json('/models');
    expect(big.response.status).toBe(502);
    expectError(big.body, 'upstream_invalid_response');
    await waitFor(() => h.upstream.requests.at(-1)?.aborted === true, 'the 10 MB body was abandoned');
    expect(written).toBeLessThan(10 * 1024 * 1024);
  });

  it('other upstream 4xx in OpenAI’s shape pass through redacted: status, message, type, code', async () => {
    const h = await setup();
    const leaked = fakeKey('service_account');
    h.upstream.reply({
      type: 'status',
      status: 404,
      body: {
        error: {
          message: `The model \`gpt-9\` does not exist (${leaked})`,
          type: 'invalid_request_error',
          param: 'model',
          code: 'model_not_found',
        },
      },
    });
    const { response, body } = await h.json('/models/gpt-9');
    expect(response.status).toBe(404);
    expectError(body, 'model_not_found');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain('does not exist');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    h.leakCheck([leaked]);
  });

  it('unreachable upstream → 502; no response headers within timeoutMs → 504 and the upstream request aborted', async () => {
    const gone = await startUpstream();
    const url = gone.url;
    await gone.close();
    const resolver = createResolver({ sources: [fromValues({ apiKey: fakeKey('project'), baseURL: url })] });
    const relay = createRelay({ resolver, authorize: () => ({ id: 'a' }), mountPath: MOUNT });
    const unreachable = await relay(new Request(`${APP}${MOUNT}/models`));
    expect(unreachable.status).toBe(502);
    expectError(await unreachable.json(), 'upstream_unreachable');

    const h = await setup({ limits: { timeoutMs: 150 } });
    h.upstream.reply({ type: 'stall', phase: 'headers' });
    const started = Date.now();
    const { response, body } = await h.json('/models');
    expect(response.status).toBe(504);
    expectError(body, 'upstream_timeout');
    expect(Date.now() - started).toBeLessThan(2000);
    await waitFor(() => h.upstream.requests[0]?.aborted === true, 'upstream aborted after the timeout');
  });
});

/** Reads a streamed response chunk by chunk, with arrival times. */
async function readChunks(response: Response): Promise<{ text: string; at: number }[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const chunks: { text: string; at: number }[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push({ text: decoder.decode(value, { stream: true }), at: Date.now() });
  }
}

describe('createRelay: streaming (D38, D39, C24)', () => {
  it('D38: SSE passes through unbuffered: events arrive separately, as the upstream sends them', async () => {
    const h = await setup();
    h.upstream.reply({ type: 'sse', chunks: 5, delayMs: 120 });
    const started = Date.now();
    const response = await h.send('/chat/completions', { body: { model: 'gpt-4o-mini', stream: true } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    expect(response.headers.get('content-length')).toBeNull();
    const chunks = await readChunks(response);
    const events = chunks.flatMap((chunk) => chunk.text.split('\n\n').filter(Boolean));
    expect(events).toHaveLength(6);
    expect(events.at(-1)).toBe('data: [DONE]');
    // Every chunk holds whole events, and they trickle in: the first long before the last.
    for (const chunk of chunks) expect(chunk.text.endsWith('\n\n')).toBe(true);
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    expect(chunks[0]!.at - started).toBeLessThan(300);
    expect(chunks.at(-1)!.at - chunks[0]!.at).toBeGreaterThanOrEqual(450);
    await waitFor(() => h.events.length === 1, 'event after the stream');
    expect(h.events[0]).toMatchObject({ status: 200, stream: true, route: 'POST /chat/completions' });
    h.leakCheck();
  });

  it('usage is read from the final SSE chunk (Chat Completions) and from response.completed (Responses)', async () => {
    const h = await setup();
    const chunk = (extra: object) =>
      JSON.stringify({ object: 'chat.completion.chunk', choices: [], ...extra });
    h.upstream.reply({
      type: 'sse',
      events: [
        chunk({ usage: null }),
        chunk({ usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } }),
        '[DONE]',
      ],
    });
    await (await h.send('/chat/completions', { body: { model: 'gpt-4o-mini', stream: true } })).text();
    h.upstream.reply({
      type: 'sse',
      events: [
        JSON.stringify({ type: 'response.created', response: { usage: null, error: null } }),
        JSON.stringify({ type: 'response.output_text.delta', delta: '"usage":{"input_tokens":0}' }),
        JSON.stringify({
          type: 'response.completed',
          response: { usage: { input_tokens: 3, output_tokens: 4, total_tokens: 7 }, error: null },
        }),
      ],
    });
    await (await h.send('/responses', { body: { model: 'gpt-4o-mini', stream: true } })).text();
    await waitFor(() => h.events.length === 2, 'two events');
    expect(h.events[0]!.usage).toEqual({ inputTokens: 11, outputTokens: 7, totalTokens: 18 });
    expect(h.events[1]!.usage).toEqual({ inputTokens: 3, outputTokens: 4, totalTokens: 7 });
    expect(h.events[1]!.error).toBeUndefined();
  });

  it('C24: an error event inside the stream is passed on and surfaced in the event', async () => {
    const h = await setup();
    h.upstream.reply({
      type: 'sse',
      events: [
        JSON.stringify({ object: 'chat.completion.chunk', choices: [] }),
        JSON.stringify({
          error: { message: 'The server had an error', type: 'server_error', code: 'server_error' },
        }),
      ],
    });
    const text = await (
      await h.send('/chat/completions', { body: { model: 'gpt-4o-mini', stream: true } })
    ).text();
    expect(text).toContain('"server_error"');
    await waitFor(() => h.events.length === 1, 'event');
    expect(h.events[0]!.error).toEqual({ code: 'upstream_stream_error', upstreamCode: 'server_error' });
  });

  it('C24: an SSE event larger than maxEventBytes ends the stream with an error event, never a torn event', async () => {
    const h = await setup({ limits: { maxEventBytes: 4096 } });
    h.upstream.reply({
      type: 'sse',
      events: ['{"small":1}', `{"big":"${'x'.repeat(10_000)}"}`, '{"after":1}', '[DONE]'],
    });
    const text = await (
      await h.send('/chat/completions', { body: { model: 'gpt-4o-mini', stream: true } })
    ).text();
    expect(text.startsWith('data: {"small":1}\n\n')).toBe(true);
    expect(text).not.toContain('xxxx');
    expect(text).not.toContain('"after"');
    expect(text).toContain('event: error\ndata: {"error":{"message":');
    expect(text).toContain('"code":"event_too_large"');
    expect(text.endsWith('\n\n')).toBe(true);
    await waitFor(() => h.events.length === 1, 'event');
    expect(h.events[0]!.error).toMatchObject({ code: 'event_too_large' });
  });

  it('an upstream that goes silent mid-stream → an upstream_timeout error event after idleTimeoutMs, upstream aborted', async () => {
    const h = await setup({ limits: { idleTimeoutMs: 150 } });
    h.upstream.reply({ type: 'stall', phase: 'body' });
    const response = await h.send('/chat/completions', { body: { model: 'gpt-4o-mini', stream: true } });
    const text = await response.text();
    expect(text).toMatch(/^data: \{.*\}\n\n/);
    expect(text).toContain('"code":"upstream_timeout"');
    await waitFor(() => h.upstream.requests[0]?.aborted === true, 'upstream aborted');
    expect(h.events[0]!.error).toMatchObject({ code: 'upstream_timeout' });
  });

  it('an upstream reset mid-stream → an upstream_unreachable error event after the events already sent', async () => {
    const h = await setup();
    h.upstream.reply({ type: 'reset', afterChunks: 2 });
    const text = await (
      await h.send('/chat/completions', { body: { model: 'gpt-4o-mini', stream: true } })
    ).text();
    const events = text.split('\n\n').filter(Boolean);
    expect(events).toHaveLength(3);
    expect(events[2]).toContain('"code":"upstream_unreachable"');
  });

  it('D39: the browser disconnecting (request.signal) mid-stream aborts the upstream request, 100 times over', async () => {
    const store = createMemoryRateLimitStore();
    const h = await setup({ rateLimit: { requestsPerMinute: 10_000, maxConcurrentStreams: 2, store } });
    h.upstream.setDefault({ type: 'sse', chunks: 50, delayMs: 10 });
    for (let cycle = 0; cycle < 100; cycle++) {
      const controller = new AbortController();
      const response = await h.send('/chat/completions', {
        body: { model: 'gpt-4o-mini', stream: true },
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      const first = await reader.read();
      expect(first.done).toBe(false);
      if (cycle % 2 === 0) controller.abort();
      else await reader.cancel();
      await waitFor(() => h.upstream.requests[cycle]?.aborted === true, `cycle ${cycle}: upstream aborted`);
    }
    expect(h.upstream.requests.every((request) => request.aborted)).toBe(true);
    await waitFor(() => h.events.length === 100, 'all events');
    expect(h.events.every((event) => event.error?.code === 'client_closed_request')).toBe(true);
    // Every stream slot came back; the rate key is all that is left.
    expect(store.size).toBe(1);
  });

  it('D39: a disconnect before the upstream answers aborts it too', async () => {
    const h = await setup();
    h.upstream.reply({ type: 'stall', phase: 'headers' });
    const controller = new AbortController();
    const pending = h.send('/models', { signal: controller.signal });
    await waitFor(() => h.upstream.requests.length === 1, 'upstream reached');
    controller.abort();
    const response = await pending;
    expect(response.status).toBe(499);
    await waitFor(() => h.upstream.requests[0]!.aborted, 'upstream aborted');
  });
});

describe('createRelay: rate limits (D40)', () => {
  it('D40: past requestsPerMinute → 429 with Retry-After; other principals unaffected', async () => {
    const h = await setup({ rateLimit: { requestsPerMinute: 3 } });
    for (let i = 0; i < 3; i++) expect((await h.text('/models')).response.status).toBe(200);
    const { response, body } = await h.json('/models');
    expect(response.status).toBe(429);
    expectError(body, 'rate_limited');
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(response.headers.get('retry-after'))).toBeLessThanOrEqual(20);
    expect((await h.text('/models', { user: 'bob' })).response.status).toBe(200);
    expect(h.upstream.requests).toHaveLength(4);
  });

  it('D40: past maxConcurrentStreams → 429 until a stream ends; other principals unaffected', async () => {
    const h = await setup({ rateLimit: { maxConcurrentStreams: 1 } });
    h.upstream.setDefault({ type: 'sse', chunks: 4, delayMs: 100 });
    const first = await h.send('/chat/completions', { body: { model: 'gpt-4o-mini', stream: true } });
    const second = await h.json('/chat/completions', { body: { model: 'gpt-4o-mini', stream: true } });
    expect(second.response.status).toBe(429);
    expectError(second.body, 'too_many_streams');
    expect(second.response.headers.get('retry-after')).toBe('1');
    const bob = await h.send('/chat/completions', {
      body: { model: 'gpt-4o-mini', stream: true },
      user: 'bob',
    });
    expect(bob.status).toBe(200);
    await Promise.all([first.text(), bob.text()]);
    await waitFor(() => h.events.length === 3, 'stream events');
    expect((await h.send('/chat/completions', { body: { model: 'gpt-4o-mini', stream: true } })).status).toBe(
      200,
    );
  });

  it('a failing rate-limit store fails closed (503), the upstream never called', async () => {
    const broken: RateLimitStore = {
      hit: () => Promise.reject(new Error('redis down')),
      acquire: () => Promise.reject(new Error('redis down')),
      release: () => Promise.resolve(),
    };
    const h = await setup({ rateLimit: { store: broken } });
    const { response, body } = await h.json('/models');
    expect(response.status).toBe(503);
    expectError(body, 'rate_limit_unavailable');
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('failOpen: a failing store lets requests through without limits (and nothing to release)', async () => {
    let releases = 0;
    const broken: RateLimitStore = {
      hit: () => Promise.reject(new Error('redis down')),
      acquire: () => Promise.reject(new Error('redis down')),
      release: () => {
        releases++;
        return Promise.resolve();
      },
    };
    const h = await setup({ rateLimit: { store: broken, failOpen: true, requestsPerMinute: 1 } });
    for (let i = 0; i < 3; i++) expect((await h.json('/models')).response.status).toBe(200);
    expect(h.upstream.requests).toHaveLength(3);
    expect(releases).toBe(0);
    // Only acquire failing: still served, without a slot.
    let acquires = 0;
    const half: RateLimitStore = {
      hit: () => Promise.resolve({ allowed: true, retryAfterMs: 0 }),
      acquire: () => {
        acquires++;
        return Promise.reject(new Error('redis down'));
      },
      release: () => Promise.resolve(),
    };
    const h2 = await setup({ rateLimit: { store: half, failOpen: true } });
    expect((await h2.json('/models')).response.status).toBe(200);
    expect(acquires).toBe(1);
  });
});

describe('createRelay: Realtime client secrets (D41)', () => {
  it('D41: mints with the server key; TTL clamped to 10…7200 s (600 by default); only value and expires_at come back', async () => {
    const h = await setup();
    const ttls: [unknown, number][] = [
      [undefined, 600],
      [5, 10],
      [99_999, 7200],
      [300, 300],
      ['900', 600],
      [-1, 10],
    ];
    for (const [seconds, expected] of ttls) {
      h.upstream.reply((request) => ({
        type: 'json',
        body: {
          value: fakeKey('ephemeral'),
          expires_at: 1_767_225_600 + (JSON.parse(request.body).expires_after.seconds as number),
          session: {
            type: 'realtime',
            model: 'gpt-realtime',
            instructions: 'server-side secret instructions',
          },
        },
      }));
      const body =
        seconds === undefined ? {} : { expires_after: { anchor: 'created_at', seconds }, extra: 'dropped' };
      const { response, body: answer } = await h.json('/realtime/client_secrets', { body });
      expect(response.status).toBe(200);
      expect(Object.keys(answer).sort()).toEqual(['expires_at', 'value']);
      expect(answer.value).toMatch(/^ek_/);
      expect(answer.expires_at).toBe(1_767_225_600 + expected);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const sent = h.upstream.requests.at(-1)!;
      expect(sent.target).toBe('/v1/realtime/client_secrets');
      expect(sent.headers.authorization).toEqual([`Bearer ${h.key}`]);
      expect(JSON.parse(sent.body)).toEqual({ expires_after: { anchor: 'created_at', seconds: expected } });
    }
    // A bodyless POST works too.
    expect(
      (await h.json('/realtime/client_secrets', { method: 'POST', headers: { 'content-length': '0' } }))
        .response.status,
    ).toBe(200);
    h.leakCheck();
  });

  it('D41: needs a session and passes CSRF checks; the session model is checked against the allowlist', async () => {
    const h = await setup({ models: ['gpt-realtime'] });
    const mint = (init: SendInit) => h.json('/realtime/client_secrets', { body: {}, ...init });
    expect((await mint({ user: null })).response.status).toBe(401);
    expect(
      (await mint({ headers: { origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' } })).response
        .status,
    ).toBe(403);
    expect((await mint({ headers: { origin: '', 'sec-fetch-site': 'cross-site' } })).response.status).toBe(
      403,
    );
    expect((await mint({ body: 'x', headers: { 'content-type': 'text/plain' } })).response.status).toBe(415);
    expect(
      (await mint({ body: { session: { type: 'realtime', model: 'gpt-4o-realtime-preview' } } })).response
        .status,
    ).toBe(403);
    expect(
      (await mint({ body: '[1]', headers: { 'content-type': 'application/json' } })).response.status,
    ).toBe(400);
    expect(h.upstream.requests).toHaveLength(0);
    const ok = await mint({ body: { session: { type: 'realtime', model: 'gpt-realtime' } } });
    expect(ok.response.status).toBe(200);
    expect(JSON.parse(h.upstream.requests[0]!.body).session).toEqual({
      type: 'realtime',
      model: 'gpt-realtime',
    });
  });

  it('D41: rate-limited like every relayed request; a malformed upstream answer → 502', async () => {
    const h = await setup({ rateLimit: { requestsPerMinute: 2 } });
    expect((await h.json('/realtime/client_secrets', { body: {} })).response.status).toBe(200);
    h.upstream.reply({ type: 'json', body: { value: 'not-an-ek', expires_at: 'later' } });
    const malformed = await h.json('/realtime/client_secrets', { body: {} });
    expect(malformed.response.status).toBe(502);
    expectError(malformed.body, 'upstream_invalid_response');
    const limited = await h.json('/realtime/client_secrets', { body: {} });
    expect(limited.response.status).toBe(429);
    expect(h.upstream.requests).toHaveLength(2);
    h.leakCheck();
  });
});

describe('createRelay: server credentials', () => {
  it('refuses an admin key: ready() rejects with key_kind_not_allowed, requests get 500, upstream never called', async () => {
    const admin = fakeKey('admin');
    const h = await setup({ key: admin });
    let error: unknown;
    try {
      await h.relay.ready();
    } catch (caught) {
      error = caught;
    }
    expect(AuthError.is(error)).toBe(true);
    expect((error as AuthError).code).toBe('key_kind_not_allowed');
    const { response, body } = await h.json('/models');
    expect(response.status).toBe(500);
    expectError(body, 'relay_misconfigured');
    expect(h.upstream.requests).toHaveLength(0);
    expect(h.events[0]!.error).toMatchObject({ code: 'key_kind_not_allowed' });
    assertNoLeak({ errors: [error] }, [admin]);
    h.leakCheck();
  });

  it('ready() resolves with a project key; missing credentials → 503 credentials_unavailable', async () => {
    const h = await setup();
    await expect(h.relay.ready()).resolves.toBeUndefined();
    const upstream = await upstreamServer();
    const resolver = createResolver({ sources: [fromValues({ baseURL: upstream.url })] });
    const events: RelayEvent[] = [];
    const relay = createRelay({
      resolver,
      authorize: () => ({ id: 'a' }),
      onEvent: (event) => events.push(event),
    });
    const response = await relay(new Request(`${APP}/models`));
    expect(response.status).toBe(503);
    expectError(await response.json(), 'credentials_unavailable');
    expect(events[0]!.error).toMatchObject({ code: 'missing_credentials' });
    expect(upstream.requests).toHaveLength(0);
  });

  it('an onEvent that throws or rejects changes nothing', async () => {
    const throwing = await setup({
      onEvent: () => {
        throw new Error('metrics down');
      },
    });
    expect((await throwing.text('/models')).response.status).toBe(200);
    const rejecting = await setup({ onEvent: async () => Promise.reject(new Error('metrics down')) });
    expect((await rejecting.text('/models')).response.status).toBe(200);
  });
});

describe('createRelay: a small JSON answer is read whole, then answered', () => {
  const declared = (res: import('node:http').ServerResponse, start: string) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write(start);
  };

  it('whole: the bytes pass unchanged and their usage is metered', async () => {
    const h = await setup();
    const completion = JSON.stringify({
      object: 'chat.completion',
      usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 },
    });
    h.upstream.reply({
      type: 'raw',
      handler: (_req, res) => {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': String(completion.length),
        });
        res.write(completion.slice(0, 10));
        setTimeout(() => res.end(completion.slice(10)), 20);
      },
    });
    const { response, body } = await h.text('/chat/completions', { body: { model: 'gpt-4o-mini' } });
    expect(response.status).toBe(200);
    expect(body).toBe(completion);
    expect(h.events[0]).toMatchObject({
      status: 200,
      usage: { inputTokens: 2, outputTokens: 3, totalTokens: 5 },
    });
    expect(h.events[0]!.error).toBeUndefined();
    h.leakCheck();
  });

  it('an empty answer has no body at all: 204, and 200 with Content-Length: 0', async () => {
    const h = await setup();
    for (const status of [204, 200]) {
      h.upstream.reply({
        type: 'raw',
        handler: (_req, res) => {
          res.writeHead(
            status,
            status === 204 ? {} : { 'content-type': 'application/json', 'content-length': '0' },
          );
          res.end();
        },
      });
      const response = await h.send('/chat/completions', { body: { model: 'gpt-4o-mini' } });
      expect(response.status).toBe(status);
      expect(response.body).toBeNull();
    }
    expect(h.events.map((event) => [event.status, event.error])).toEqual([
      [204, undefined],
      [200, undefined],
    ]);
  });

  it('an upstream silent past idleTimeoutMs mid-body: the body is cut, never a clean short answer; upstream aborted', async () => {
    const h = await setup({ limits: { idleTimeoutMs: 150 } });
    h.upstream.reply({ type: 'raw', handler: (_req, res) => declared(res, '{"partial":') });
    const response = await h.send('/chat/completions', { body: { model: 'gpt-4o-mini' } });
    await expect(response.text()).rejects.toThrow();
    await waitFor(() => h.upstream.requests[0]?.aborted === true, 'upstream aborted');
    expect(h.events[0]).toMatchObject({ status: 200, error: { code: 'upstream_timeout' } });
  });

  it('an upstream that hangs up mid-body: the body is cut (upstream_unreachable)', async () => {
    const h = await setup();
    h.upstream.reply({
      type: 'raw',
      handler: (_req, res) => {
        declared(res, '{"partial":');
        setTimeout(() => res.socket?.destroy(), 20);
      },
    });
    const response = await h.send('/chat/completions', { body: { model: 'gpt-4o-mini' } });
    await expect(response.text()).rejects.toThrow();
    expect(h.events[0]).toMatchObject({ status: 200, error: { code: 'upstream_unreachable' } });
  });

  it('the browser leaving while the body is read aborts the upstream request (client_closed_request)', async () => {
    const h = await setup();
    h.upstream.reply({ type: 'raw', handler: (_req, res) => declared(res, '{"partial":') });
    const controller = new AbortController();
    const pending = h.send('/chat/completions', {
      body: { model: 'gpt-4o-mini' },
      signal: controller.signal,
    });
    await waitFor(() => h.upstream.requests.length === 1, 'the upstream request');
    controller.abort();
    await pending.catch(() => undefined);
    await waitFor(() => h.upstream.requests[0]?.aborted === true, 'upstream aborted');
    await waitFor(() => h.events.length === 1, 'the event');
    expect(h.events[0]!.error).toMatchObject({ code: 'client_closed_request' });
  });
});
