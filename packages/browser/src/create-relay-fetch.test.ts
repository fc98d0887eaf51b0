import { assertNoLeak, fakeKey, findKeyShapes, startUpstream, type Upstream } from '@auth/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelayFetch, type RelayFetchOptions } from './create-relay-fetch.ts';
import { RelayError, type RelayErrorCode } from './relay-error.ts';
import { captureFetch } from './testing/capture-fetch.ts';
import { type FakeRelay, startFakeRelay } from './testing/start-fake-relay.ts';
import { until } from './testing/until.ts';
import { writeRelayError } from './testing/write-relay-error.ts';

const relayURL = 'https://app.example.test/api/openai/';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function fakeRelay(): Promise<FakeRelay> {
  const relay = await startFakeRelay();
  servers.push(relay);
  return relay;
}

async function rejection(promise: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function relayError(
  promise: Promise<unknown> | (() => unknown),
  code: RelayErrorCode,
): Promise<RelayError> {
  const error = await rejection(promise);
  expect(RelayError.is(error), String(error)).toBe(true);
  expect((error as RelayError).code).toBe(code);
  return error as RelayError;
}

describe('createRelayFetch: where requests go', () => {
  it('joins relative paths to the mount by concatenation, keeping the query', async () => {
    const captured = captureFetch();
    const relayFetch = createRelayFetch({ relayURL, fetch: captured.fetch });
    for (const path of ['models', '/models', 'chat/completions?limit=2', 'models/gpt-4o%20mini', '']) {
      await relayFetch(path);
    }
    await relayFetch(new URL('https://app.example.test/api/openai/models'));
    await relayFetch(
      new Request('https://app.example.test/api/openai/responses', { method: 'POST', body: '{}' }),
    );
    await relayFetch('https://app.example.test/api/openai/models/x/../y');
    expect(captured.requests.map((request) => request.url)).toEqual([
      'https://app.example.test/api/openai/models',
      'https://app.example.test/api/openai/models',
      'https://app.example.test/api/openai/chat/completions?limit=2',
      'https://app.example.test/api/openai/models/gpt-4o%20mini',
      'https://app.example.test/api/openai/',
      'https://app.example.test/api/openai/models',
      'https://app.example.test/api/openai/responses',
      'https://app.example.test/api/openai/models/y',
    ]);
    expect(await captured.requests[6]?.text()).toBe('{}');
  });

  it('a relay at the root of its own origin takes every path of that origin', async () => {
    const captured = captureFetch();
    const relayFetch = createRelayFetch({ relayURL: 'https://relay.example.test', fetch: captured.fetch });
    await relayFetch('v1/models');
    await relayFetch('https://relay.example.test/models');
    expect(captured.requests.map((request) => request.url)).toEqual([
      'https://relay.example.test/v1/models',
      'https://relay.example.test/models',
    ]);
  });

  it.each([
    '../admin',
    '/../organization/admin_api_keys',
    'models/../../organization',
    './models',
    '%2e%2e/organization',
    '.%2E/organization',
    '%2E/models',
    'models%2f..%2f..%2forganization',
    'models%5c..%5corganization',
    'models\\..\\organization',
    'models/%zz',
    'https://app.example.test/api/other',
    'https://app.example.test/api/openai/../other',
    'https://app.example.test/api/openai%2f..%2fother',
    'https://app.example.test/api/openaix/models',
    // Same origin as far as URL goes, but a blob's path is a whole URL: never under the mount.
    'blob:https://app.example.test/api/openai/models',
  ])('refuses %s with invalid_path before any request', async (path) => {
    const captured = captureFetch();
    await relayError(createRelayFetch({ relayURL, fetch: captured.fetch })(path), 'invalid_path');
    expect(captured.requests).toEqual([]);
  });

  it.each([
    'https://evil.test/api/openai/models',
    'http://app.example.test/api/openai/models',
    'https://app.example.test:8443/api/openai/models',
    'https://app.example.test.evil.test/api/openai/models',
    'https://user@evil.test/api/openai/models',
    '//evil.test/api/openai/models',
    '\\\\evil.test/api/openai/models',
    '/\\evil.test/api/openai/models',
    '\\/evil.test/api/openai/models',
    'javascript:alert(1)',
    'data:text/plain,hello',
  ])('refuses %s with foreign_origin before any request', async (url) => {
    const captured = captureFetch();
    const relayFetch = createRelayFetch({ relayURL, fetch: captured.fetch });
    await relayError(relayFetch(url), 'foreign_origin');
    expect(captured.requests).toEqual([]);
  });

  it('refuses a Request or a URL object for another origin', async () => {
    const captured = captureFetch();
    const relayFetch = createRelayFetch({ relayURL, fetch: captured.fetch });
    await relayError(relayFetch(new Request('https://evil.test/api/openai/models')), 'foreign_origin');
    await relayError(relayFetch(new URL('https://evil.test/api/openai/models')), 'foreign_origin');
    expect(captured.requests).toEqual([]);
  });

  it.each([
    ['ftp://app.example.test/api/openai'],
    ['https://user:pass@app.example.test/api/openai'],
    ['https://app.example.test/api/openai?tenant=1'],
    ['https://app.example.test/api/openai#x'],
    ['/api/openai'],
    ['not a url'],
  ])('refuses relayURL %s with invalid_relay_url (no page, so no relative URL)', async (url) => {
    await relayError(() => createRelayFetch({ relayURL: url }), 'invalid_relay_url');
  });

  it('resolves a relative relayURL against the page', async () => {
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'location');
    Object.defineProperty(globalThis, 'location', {
      value: new URL('https://app.example.test/chat/room?x=1'),
      configurable: true,
    });
    try {
      const captured = captureFetch();
      await createRelayFetch({ relayURL: '/api/openai', fetch: captured.fetch })('models');
      expect(captured.requests[0]?.url).toBe('https://app.example.test/api/openai/models');
    } finally {
      if (descriptor) Object.defineProperty(globalThis, 'location', descriptor);
      else Reflect.deleteProperty(globalThis, 'location');
    }
  });
});

describe('createRelayFetch: no key in the browser (E44)', () => {
  it('E44: never sets Authorization; cookies same-origin by default, include when asked; redirects refused', async () => {
    const captured = captureFetch();
    await createRelayFetch({ relayURL, fetch: captured.fetch })('models');
    await createRelayFetch({ relayURL, fetch: captured.fetch, credentials: 'include' })('models', {
      credentials: 'omit',
    });
    const [first, second] = captured.requests;
    expect(first?.headers.has('authorization')).toBe(false);
    expect([...(first?.headers ?? [])]).toEqual([]);
    expect(first?.credentials).toBe('same-origin');
    expect(first?.redirect).toBe('error');
    expect(second?.credentials).toBe('include');
  });

  it('E44: refuses key-shaped headers and URLs (browser_exposure) without quoting them, before any request', async () => {
    const captured = captureFetch();
    const relayFetch = createRelayFetch({ relayURL, fetch: captured.fetch });
    const keys = [fakeKey('project'), fakeKey('user'), fakeKey('admin'), fakeKey('service_account')];
    const errors: unknown[] = [];
    for (const key of keys) {
      errors.push(
        await relayError(
          relayFetch('models', { headers: { Authorization: `Bearer ${key}` } }),
          'browser_exposure',
        ),
        await relayError(relayFetch('models', { headers: { 'x-api-key': key } }), 'browser_exposure'),
        await relayError(relayFetch('models', { headers: { [`x-${key}`]: '1' } }), 'browser_exposure'),
        await relayError(relayFetch(`models?key=${key}`), 'browser_exposure'),
        await relayError(relayFetch(`https://evil.test/?key=${key}`), 'browser_exposure'),
        await relayError(
          relayFetch(new Request(`${relayURL}models`, { headers: { 'api-key': key } })),
          'browser_exposure',
        ),
      );
    }
    expect(captured.requests).toEqual([]);
    assertNoLeak({ errors }, keys);
  });

  it('E44: refuses an apiKey option (any value) and key-shaped option values', async () => {
    const key = fakeKey('project');
    const errors = [
      await relayError(
        () => createRelayFetch({ relayURL, apiKey: 'anything' } as unknown as RelayFetchOptions),
        'browser_exposure',
      ),
      await relayError(
        () => createRelayFetch({ relayURL, apiKey: key } as unknown as RelayFetchOptions),
        'browser_exposure',
      ),
      await relayError(
        () => createRelayFetch({ relayURL: `https://app.example.test/${key}` }),
        'browser_exposure',
      ),
      await relayError(
        () => createRelayFetch({ relayURL, extra: { nested: [key] } } as unknown as RelayFetchOptions),
        'browser_exposure',
      ),
    ];
    expect((errors[0] as Error).message).toContain('apiKey');
    assertNoLeak({ errors }, [key]);
  });

  it('passes short sk- strings, ek_ secrets and ordinary headers', async () => {
    const captured = captureFetch();
    const relayFetch = createRelayFetch({ relayURL, fetch: captured.fetch });
    await relayFetch('models', {
      headers: { 'x-task': 'risk-assessment', 'x-note': 'sk-short', 'x-realtime': fakeKey('ephemeral') },
    });
    expect(captured.requests).toHaveLength(1);
  });

  it('E44: against a relay, the cookie goes along, no Authorization is sent and the server key never comes back', async () => {
    const relay = await fakeRelay();
    const relayFetch = createRelayFetch({ relayURL: relay.url, fetch: relay.browserFetch() });
    const response = await relayFetch('models');
    const body = await response.text();
    expect(response.status).toBe(200);
    expect(JSON.parse(body).data.length).toBeGreaterThan(0);
    const [seen] = relay.requests;
    expect(seen?.headers.cookie).toEqual([`session=${relay.session}`]);
    expect(seen?.headers.authorization).toBeUndefined();
    expect(findKeyShapes(seen?.rawHeaders.join('\n') ?? 'missing')).toEqual([]);
    // The relay did add the key upstream: proof that the key exists, and that it stayed on the server.
    expect(relay.upstream.requests[0]?.headers.authorization).toEqual([`Bearer ${relay.serverKey}`]);
    assertNoLeak({ responses: [body, response] }, [relay.serverKey]);
  });

  it('E44: with a relay on another origin, cookies go only with credentials: include', async () => {
    const relay = await fakeRelay();
    const page = relay.browserFetch('https://page.example.test');
    await relayError(createRelayFetch({ relayURL: relay.url, fetch: page })('models'), 'unauthorized');
    expect(relay.requests[0]?.headers.cookie).toBeUndefined();
    const response = await createRelayFetch({ relayURL: relay.url, fetch: page, credentials: 'include' })(
      'models',
    );
    expect(response.status).toBe(200);
    expect(relay.requests[1]?.headers.cookie).toEqual([`session=${relay.session}`]);
  });

  it('E44: does not follow a redirect, so nothing reaches the other server', async () => {
    const relay = await fakeRelay();
    const other: Upstream = await startUpstream();
    servers.push(other);
    relay.reply((_, res) => res.writeHead(307, { location: `${other.url}/models` }).end());
    const error = await rejection(
      createRelayFetch({ relayURL: relay.url, fetch: relay.browserFetch() })('models', {
        method: 'POST',
        body: '{"prompt":"secret plans"}',
      }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(other.requests).toEqual([]);
  });
});

describe('createRelayFetch: session expiry, rate limits, aborts (E45)', () => {
  const chat = { method: 'POST', body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }) };

  it('E45: a 401 calls onUnauthorized once, then retries once with the same body', async () => {
    const relay = await fakeRelay();
    relay.sessions.clear();
    let calls = 0;
    const relayFetch = createRelayFetch({
      relayURL: relay.url,
      fetch: relay.browserFetch(),
      onUnauthorized: async () => {
        calls += 1;
        relay.sessions.add(relay.session);
        return true;
      },
    });
    const response = await relayFetch('chat/completions', chat);
    expect(response.status).toBe(200);
    expect(calls).toBe(1);
    expect(relay.requests.map((request) => request.body)).toEqual([chat.body, chat.body]);
  });

  it('E45: a 401 after the retry is a typed unauthorized error; the hook ran once', async () => {
    const relay = await fakeRelay();
    relay.sessions.clear();
    let calls = 0;
    const relayFetch = createRelayFetch({
      relayURL: relay.url,
      fetch: relay.browserFetch(),
      onUnauthorized: async () => {
        calls += 1;
        return true;
      },
    });
    const error = await relayError(relayFetch('chat/completions', chat), 'unauthorized');
    expect(error.status).toBe(401);
    expect(calls).toBe(1);
    expect(relay.requests).toHaveLength(2);
  });

  it.each([
    ['no hook', undefined],
    ['a hook that answers false', async () => false],
    ['a hook that rejects', async () => Promise.reject(new Error('refresh failed'))],
  ])('E45: a 401 with %s is a typed error without a retry', async (_, onUnauthorized) => {
    const relay = await fakeRelay();
    relay.sessions.clear();
    const options: RelayFetchOptions = { relayURL: relay.url, fetch: relay.browserFetch() };
    if (onUnauthorized) options.onUnauthorized = onUnauthorized;
    await relayError(createRelayFetch(options)('models'), 'unauthorized');
    expect(relay.requests).toHaveLength(1);
  });

  it('E45: concurrent 401s share one re-auth', async () => {
    const relay = await fakeRelay();
    relay.sessions.clear();
    let calls = 0;
    const relayFetch = createRelayFetch({
      relayURL: relay.url,
      fetch: relay.browserFetch(),
      onUnauthorized: async () => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 100));
        relay.sessions.add(relay.session);
        return true;
      },
    });
    const responses = await Promise.all(Array.from({ length: 5 }, () => relayFetch('models')));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    expect(calls).toBe(1);
  });

  it('E45: a 429 with Retry-After is waited out once, then retried', async () => {
    const relay = await fakeRelay();
    relay.reply((_, res) => writeRateLimited(res, '1'));
    const started = Date.now();
    const response = await createRelayFetch({ relayURL: relay.url, fetch: relay.browserFetch() })(
      'chat/completions',
      chat,
    );
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(relay.requests.map((request) => request.body)).toEqual([chat.body, chat.body]);
  });

  it('E45: a second 429 is a typed rate_limited error carrying the wait', async () => {
    const relay = await fakeRelay();
    relay.reply((_, res) => writeRateLimited(res, '0'));
    relay.reply((_, res) => writeRateLimited(res, '30'));
    const error = await relayError(
      createRelayFetch({ relayURL: relay.url, fetch: relay.browserFetch() })('models'),
      'rate_limited',
    );
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBe(30_000);
    expect(relay.requests).toHaveLength(2);
  });

  it.each([
    ['beyond maxRetryAfterMs', '120', 120_000],
    ['garbage', 'soon', undefined],
    ['negative', '-5', undefined],
    ['missing', undefined, undefined],
  ])('E45: a 429 with a Retry-After %s is not waited for', async (_, retryAfter, retryAfterMs) => {
    const relay = await fakeRelay();
    relay.reply((_, res) => writeRateLimited(res, retryAfter));
    const started = Date.now();
    const error = await relayError(
      createRelayFetch({ relayURL: relay.url, fetch: relay.browserFetch(), maxRetryAfterMs: 5000 })('models'),
      'rate_limited',
    );
    expect(error.retryAfterMs).toBe(retryAfterMs);
    expect(Date.now() - started).toBeLessThan(900);
    expect(relay.requests).toHaveLength(1);
  });

  it('E45: an HTTP-date Retry-After in the past means retry now', async () => {
    const relay = await fakeRelay();
    relay.reply((_, res) => writeRateLimited(res, new Date(Date.now() - 60_000).toUTCString()));
    const response = await createRelayFetch({ relayURL: relay.url, fetch: relay.browserFetch() })('models');
    expect(response.status).toBe(200);
    expect(relay.requests).toHaveLength(2);
  });

  it("httpErrors: 'return' resolves with the final 401 or 429, after the same single attempts", async () => {
    const relay = await fakeRelay();
    relay.reply((_, res) => writeRateLimited(res, '0'));
    relay.reply((_, res) => writeRateLimited(res, '0'));
    const relayFetch = createRelayFetch({
      relayURL: relay.url,
      fetch: relay.browserFetch(),
      httpErrors: 'return',
    });
    const limited = await relayFetch('models');
    expect(limited.status).toBe(429);
    expect((await limited.json()).error.code).toBe('rate_limited');
    relay.sessions.clear();
    expect((await relayFetch('models')).status).toBe(401);
    expect(relay.requests).toHaveLength(3);
  });

  it('E45: aborting mid-stream cancels the body, and the relay and upstream see the disconnect', async () => {
    const relay = await fakeRelay();
    relay.upstream.reply({ type: 'sse', chunks: 50, delayMs: 50 });
    const controller = new AbortController();
    const response = await createRelayFetch({ relayURL: relay.url, fetch: relay.browserFetch() })(
      'chat/completions',
      {
        ...chat,
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [], stream: true }),
        signal: controller.signal,
      },
    );
    const reader = response.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    controller.abort();
    const error = await rejection(reader.read());
    expect((error as Error).name).toBe('AbortError');
    await until(() => relay.requests[0]?.aborted === true && relay.upstream.requests[0]?.aborted === true);
  });

  it('E45: aborting before the answer rejects with AbortError and the relay sees the disconnect', async () => {
    const relay = await fakeRelay();
    relay.reply(() => {}); // never answers
    const signal = AbortSignal.timeout(100);
    const error = await rejection(
      createRelayFetch({ relayURL: relay.url, fetch: relay.browserFetch() })('models', { signal }),
    );
    expect((error as Error).name).toBe('TimeoutError');
    await until(() => relay.requests[0]?.aborted === true);
  });

  it('E45: aborting during the Retry-After wait rejects at once, with no second request', async () => {
    const relay = await fakeRelay();
    relay.reply((_, res) => writeRateLimited(res, '5'));
    const controller = new AbortController();
    const started = Date.now();
    const pending = createRelayFetch({ relayURL: relay.url, fetch: relay.browserFetch() })('models', {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 150);
    const error = await rejection(pending);
    expect((error as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(relay.requests).toHaveLength(1);
  });

  it('E45: aborting during the re-auth rejects once the hook settles, with no retry', async () => {
    const relay = await fakeRelay();
    relay.sessions.clear();
    const controller = new AbortController();
    const pending = createRelayFetch({
      relayURL: relay.url,
      fetch: relay.browserFetch(),
      onUnauthorized: async () => {
        controller.abort();
        return true;
      },
    })('models', { signal: controller.signal });
    expect(((await rejection(pending)) as Error).name).toBe('AbortError');
    expect(relay.requests).toHaveLength(1);
  });
});

function writeRateLimited(res: import('node:http').ServerResponse, retryAfter: string | undefined): void {
  if (retryAfter !== undefined) res.setHeader('retry-after', retryAfter);
  writeRelayError(res, 429, 'Too many requests.', 'rate_limited');
}
