import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { assertNoLeak, fakeKey, startUpstream, type Upstream } from '@auth/testkit';
import OpenAI from 'openai';
import OpenAIv6 from 'openai-v6';
import { AuthError, createResolver, type RelayEvent, type RelayServer, serveRelay } from './index.ts';
import type { ServeRelayOptions } from './serve-relay.ts';

/*
 * `serveRelay` on Deno.serve, over real sockets on 127.0.0.1 against the testkit's stub API: what Deno's server
 * adds to the relay (binding, shutdown, the disconnect signal) and the official SDK through it. The relay's
 * policy itself is core's and is tested there.
 */

const MOUNT = '/api/openai';

interface Harness {
  upstream: Upstream;
  server: RelayServer;
  key: string;
  events: RelayEvent[];
  /** The cookie of a signed-in browser, for `authorize`. */
  cookie: string;
}

/** An upstream and a relay in front of it, both closed afterwards whatever happens. */
async function withRelay(
  body: (harness: Harness) => Promise<void>,
  options: Partial<ServeRelayOptions> = {},
): Promise<void> {
  const key = fakeKey('project');
  const upstream = await startUpstream({ expectedKey: key });
  const session = crypto.randomUUID();
  const events: RelayEvent[] = [];
  let server: RelayServer | undefined;
  try {
    server = await serveRelay({
      resolver: createResolver({ apiKey: key, baseURL: upstream.url, organization: null, project: null }),
      authorize: (request) =>
        request.headers.get('cookie') === `session=${session}` ? { id: 'user-1' } : null,
      mountPath: MOUNT,
      onEvent: (event) => events.push(event),
      ...options,
    });
    await body({ upstream, server, key, events, cookie: `session=${session}` });
  } finally {
    await server?.close();
    await upstream.close();
  }
}

/** Headers of a same-origin browser with a session. */
function browserHeaders(harness: Harness): Record<string, string> {
  return { cookie: harness.cookie, origin: harness.server.url, 'content-type': 'application/json' };
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One GET with `node:http`, which, unlike `fetch`, sends the target and `Host` exactly as given. */
function rawGet(
  origin: string,
  target: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { hostname, port, path: target, headers, agent: false, setHost: !('host' in headers) },
      (incoming) => {
        let body = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => {
          body += chunk;
        });
        incoming.on('end', () =>
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

const streamBody = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello' }],
  stream: true,
});

Deno.test('D39: a client disconnecting mid-SSE aborts the upstream request, 100 times over, and frees its stream slot', async () => {
  await withRelay(
    async (harness) => {
      const { upstream, server } = harness;
      // Long enough that no stream can end by itself during a cycle.
      upstream.setDefault({ type: 'sse', chunks: 50, delayMs: 50 });
      for (let cycle = 0; cycle < 100; cycle++) {
        const client = new AbortController();
        const response = await fetch(`${server.url}${MOUNT}/chat/completions`, {
          method: 'POST',
          headers: browserHeaders(harness),
          body: streamBody,
          signal: client.signal,
        });
        assert.equal(response.status, 200, `cycle ${cycle}`);
        assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
        const reader = response.body!.getReader();
        const first = await reader.read();
        assert.match(new TextDecoder().decode(first.value), /^data: /);
        client.abort();
        await reader.cancel().catch(() => {});
        await until(() => upstream.requests[cycle]?.aborted === true, 2_000, `upstream ${cycle} aborted`);
      }
      assert.equal(upstream.requests.length, 100);
      // The default allows 4 streams per principal at once: 100 sequential cycles prove each slot came back.
      await until(() => harness.events.length === 100, 2_000, 'one event per stream');
      assert.ok(harness.events.every((event) => event.status === 200 && event.stream === true));
      assertNoLeak({ logs: harness.events, upstreamRequests: upstream.requests }, [harness.key]);
    },
    { rateLimit: { requestsPerMinute: 1_000 } },
  );
});

Deno.test('D39: a client disconnecting before the upstream answers aborts the upstream request', async () => {
  await withRelay(async (harness) => {
    const { upstream, server } = harness;
    upstream.reply({ type: 'stall', phase: 'headers' });
    const client = new AbortController();
    const pending = fetch(`${server.url}${MOUNT}/chat/completions`, {
      method: 'POST',
      headers: browserHeaders(harness),
      body: streamBody,
      signal: client.signal,
    }).catch((error: unknown) => error);
    await until(() => upstream.requests.length === 1, 2_000, 'the request reached upstream');
    client.abort();
    assert.equal(((await pending) as Error).name, 'AbortError');
    await until(() => upstream.requests[0]?.aborted === true, 2_000, 'upstream aborted');
  });
});

Deno.test('serveRelay binds 127.0.0.1 by default, and close() frees the port', async () => {
  // This suite runs with --allow-net=127.0.0.1 only, so a wildcard bind would have been refused: the
  // default bind is loopback, not merely reported as such.
  assert.throws(() => Deno.listen({ hostname: '0.0.0.0', port: 0 }), Deno.errors.NotCapable);
  await withRelay(async ({ server, upstream }) => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const port = Number(new URL(server.url).port);
    assert.ok(port > 0, 'port 0 picked a free port');
    const response = await fetch(`${server.url}${MOUNT}/models`);
    // No session: the relay answered, in OpenAI's error shape, without calling upstream.
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'unauthorized');
    assert.equal(upstream.requests.length, 0);

    await server.close();
    await server.close(); // a second close is the same promise, not an error
    await assert.rejects(fetch(`${server.url}${MOUNT}/models`), TypeError);
    const listener = Deno.listen({ hostname: '127.0.0.1', port });
    listener.close();
  });
});

Deno.test('D30: a target or Host naming another origin never becomes the relay’s own origin: 403, upstream 0', async () => {
  await withRelay(async (harness) => {
    const { upstream, server } = harness;
    const evil = 'http://evil.test';
    const signedIn = { cookie: harness.cookie, origin: evil };
    const attempts = [
      // Absolute-form: Deno.serve would take the URL, and so the relay's own origin, from the target.
      await rawGet(server.url, `${evil}${MOUNT}/models`, signedIn),
      // Userinfo in Host moves the authority of a URL built from it.
      await rawGet(server.url, `${MOUNT}/models`, { ...signedIn, host: `a@${new URL(server.url).host}` }),
    ];
    for (const result of attempts) {
      assert.equal(result.status, 403);
      assert.equal((JSON.parse(result.body) as { error: { code: string } }).error.code, 'invalid_path');
      assert.equal(result.headers['access-control-allow-origin'], undefined);
    }
    assert.equal(upstream.requests.length, 0);
    // The same request in origin-form, from the relay's own page, goes through.
    const own = await rawGet(server.url, `${MOUNT}/models`, { cookie: harness.cookie, origin: server.url });
    assert.equal(own.status, 200);
    assert.equal(upstream.requests.length, 1);
  });
});

Deno.test('close() ends a stream still open, resolves, and the upstream request is aborted', async () => {
  await withRelay(async (harness) => {
    const { upstream, server } = harness;
    upstream.reply({ type: 'stall', phase: 'body' });
    const response = await fetch(`${server.url}${MOUNT}/chat/completions`, {
      method: 'POST',
      headers: browserHeaders(harness),
      body: streamBody,
    });
    const reader = response.body!.getReader();
    await reader.read();
    await server.close();
    await assert.rejects(async () => {
      while (!(await reader.read()).done);
    });
    await until(() => upstream.requests[0]?.aborted === true, 2_000, 'upstream aborted');
  });
});

Deno.test('serveRelay refuses an admin key before listening (key_kind_not_allowed), with no key in the error', async () => {
  const key = fakeKey('admin');
  let error: unknown;
  try {
    const server = await serveRelay({
      resolver: createResolver({ apiKey: key, organization: null, project: null }),
      authorize: () => ({ id: 'user-1' }),
    });
    await server.close();
  } catch (caught) {
    error = caught;
  }
  assert.ok(AuthError.is(error));
  assert.equal((error as AuthError).code, 'key_kind_not_allowed');
  assertNoLeak({ errors: [error] }, [key]);
});

/** What the cases use of a client, so that both major versions of the SDK fit one type. */
interface Client {
  models: { list(): PromiseLike<AsyncIterable<{ id: string }>> };
  chat: {
    completions: {
      create(body: {
        model: string;
        messages: { role: 'user'; content: string }[];
        stream: true;
      }): PromiseLike<AsyncIterable<{ choices: { delta: { content?: string | null } }[] }>>;
    };
  };
}
interface BrowserLikeOptions {
  apiKey: string;
  baseURL: string;
  organization: null;
  project: null;
  defaultHeaders: Record<string, string>;
}
const sdks: readonly (readonly [string, (options: BrowserLikeOptions) => Client])[] = [
  ['openai 7.59', (options) => new OpenAI(options)],
  ['openai 6.49', (options) => new OpenAIv6(options)],
];

for (const [sdk, create] of sdks) {
  Deno.test(`${sdk} through serveRelay: models and a streamed chat completion; upstream sees only the server key`, async () => {
    await withRelay(async (harness) => {
      const { upstream, server, key } = harness;
      // What a page holds: the relay's URL and its session cookie. The SDK insists on some apiKey; the relay
      // drops whatever Authorization the browser sends.
      const placeholder = 'no-key-in-the-browser';
      const client = create({
        apiKey: placeholder,
        baseURL: `${server.url}${MOUNT}`,
        organization: null,
        project: null,
        defaultHeaders: { cookie: harness.cookie, origin: server.url },
      });
      const models: string[] = [];
      for await (const model of await client.models.list()) models.push(model.id);
      assert.ok(models.includes('gpt-4o-mini'));
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Say hello' }],
        stream: true,
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      assert.equal(text, 'Hello from');

      assert.deepEqual(
        upstream.requests.map((request) => `${request.method} ${request.path}`),
        ['GET /v1/models', 'POST /v1/chat/completions'],
      );
      for (const request of upstream.requests) {
        assert.deepEqual(request.headers.authorization, [`Bearer ${key}`]);
        assert.equal(request.headers.cookie, undefined, 'the session cookie stays with the relay');
        assert.equal(request.headers['openai-organization'], undefined);
        assert.equal(request.headers['openai-project'], undefined);
        assert.ok(
          !JSON.stringify(request).includes(placeholder),
          'nothing of the browser’s auth goes upstream',
        );
      }
      await until(() => harness.events.length === 2, 2_000, 'an event per request');
      assert.deepEqual(
        harness.events.map((event) => [event.route, event.status]),
        [
          ['GET /models', 200],
          ['POST /chat/completions', 200],
        ],
      );
      assertNoLeak(
        {
          responses: [models, text],
          logs: harness.events,
          values: [client],
          upstreamRequests: upstream.requests,
        },
        [key],
      );
    });
  });
}
