import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertNoLeak, fakeKey, parseRawResponse, sendRawHttp, startUpstream } from '@auth/testkit';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRelayListener,
  createResolver,
  fromProvider,
  fromValues,
  type ServeRelayOptions,
  serveRelay,
} from './index.ts';
import { scopedEnv } from './testing/scoped-env.ts';
import { type RelayHarness, startRelayHarness, waitFor } from './testing/start-relay-harness.ts';

/*
 * serveRelay's byte path (core's policy on node:http + undici, no Request/Response): the response-side policy
 * that the relay conformance suite does not reach — stream limits, upstream faults, disconnects, the 401 retry,
 * metering — proven here on real sockets. Core's own tests prove the same policy over Fetch.
 */

const MOUNT = '/api/openai';
const env = scopedEnv();
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  env.restore();
});

interface Harness extends RelayHarness {
  post(body: unknown, init?: { signal?: AbortSignal }): Promise<Response>;
}

async function setup(options: Partial<ServeRelayOptions> = {}): Promise<Harness> {
  const h = await startRelayHarness(cleanups, MOUNT, options);
  return {
    ...h,
    post: (body, init = {}) =>
      fetch(`${h.relay.url}${MOUNT}/chat/completions`, {
        method: 'POST',
        headers: { cookie: 'session=alice', origin: h.relay.url, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        ...init,
      }),
  };
}

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

describe('serveRelay byte path: streams', () => {
  it('passes SSE through event by event, meters usage, and sends no encoding but identity upstream', async () => {
    const h = await setup();
    h.upstream.reply({
      type: 'sse',
      events: [
        '{"choices":[{"delta":{"content":"a"}}]}',
        '{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}',
        '[DONE]',
      ],
    });
    const response = await h.post({ ...chat, stream: true });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(text.split('\n\n').filter(Boolean)).toHaveLength(3);
    await waitFor(() => h.events.length === 1, 'the event');
    expect(h.events[0]).toMatchObject({ status: 200, stream: true, usage: { totalTokens: 7 } });
    expect(h.upstream.requests[0]!.headers['accept-encoding']).toEqual(['identity']);
    assertNoLeak({ responses: [response, text], upstreamRequests: [] }, [h.key]);
  });

  it('an upstream silent past idleTimeoutMs ends the stream with an SSE error event; the upstream request is aborted', async () => {
    const h = await setup({ limits: { idleTimeoutMs: 300 } });
    h.upstream.reply({ type: 'stall', phase: 'body' });
    const started = Date.now();
    const response = await h.post({ ...chat, stream: true });
    const text = await response.text();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(text).toContain('event: error');
    expect(text).toContain('"code":"upstream_timeout"');
    await waitFor(() => h.upstream.requests[0]?.aborted === true, 'upstream aborted');
    await waitFor(() => h.events.length === 1, 'the event');
    expect(h.events[0]!.error).toMatchObject({ code: 'upstream_timeout' });
  });

  it('an SSE event over maxEventBytes never goes out: the events before it do, then an error event', async () => {
    const h = await setup({ limits: { maxEventBytes: 1024 } });
    h.upstream.reply({ type: 'sse', events: ['{"ok":1}', `"${'x'.repeat(4096)}"`, '[DONE]'] });
    const response = await h.post({ ...chat, stream: true });
    const text = await response.text();
    expect(text.startsWith('data: {"ok":1}\n\n')).toBe(true);
    expect(text).not.toContain('xxxx');
    expect(text).toContain('"code":"event_too_large"');
    await waitFor(() => h.events.length === 1, 'the event');
    expect(h.events[0]!.error).toMatchObject({ code: 'event_too_large' });
  });

  it('an upstream reset mid-stream ends the SSE stream with an error event, never a clean end', async () => {
    const h = await setup();
    h.upstream.reply({ type: 'reset', afterChunks: 1 });
    const response = await h.post({ ...chat, stream: true });
    const text = await response.text();
    expect(text).toContain('"code":"upstream_unreachable"');
    await waitFor(() => h.events.length === 1, 'the event');
    expect(h.events[0]!.error).toMatchObject({ code: 'upstream_unreachable' });
  });

  it('a client that leaves mid-stream aborts the upstream request and frees its stream slot', async () => {
    const h = await setup({ rateLimit: { maxConcurrentStreams: 1 } });
    h.upstream.reply({ type: 'stall', phase: 'body' });
    const controller = new AbortController();
    const response = await h.post({ ...chat, stream: true }, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await waitFor(() => h.upstream.requests[0]?.aborted === true, 'upstream aborted');
    await waitFor(() => h.events.length === 1, 'the event');
    expect(h.events[0]!.error).toMatchObject({ code: 'client_closed_request' });
    // The slot is back: a second stream of the same principal is allowed.
    h.upstream.reply({ type: 'sse', chunks: 2 });
    const next = await h.post({ ...chat, stream: true });
    expect(next.status).toBe(200);
    await next.text();
  });
});

describe('serveRelay byte path: upstream answers', () => {
  it('JSON passes through with its length and usage metered; a JSON body cut mid-way is cut for the client too', async () => {
    const h = await setup();
    const response = await h.post(chat);
    const body = (await response.json()) as { object?: string };
    expect(response.status).toBe(200);
    expect(body.object).toBe('chat.completion');
    await waitFor(() => h.events.length === 1, 'the event');
    expect(h.events[0]!.usage?.totalTokens).toBeGreaterThan(0);

    // An upstream that states its length keeps it (a body passed byte for byte): no chunked framing.
    const completion = JSON.stringify({ object: 'chat.completion', usage: { total_tokens: 5 } });
    h.upstream.reply({
      type: 'raw',
      handler: (_req, res) => {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(completion)),
        });
        res.end(completion);
      },
    });
    const sized = await h.post(chat);
    expect(await sized.text()).toBe(completion);
    expect(sized.headers.get('content-length')).toBe(String(Buffer.byteLength(completion)));
    expect(sized.headers.get('transfer-encoding')).toBeNull();

    h.upstream.reply({
      type: 'raw',
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"partial":');
        setTimeout(() => res.socket?.destroy(), 20);
      },
    });
    const cut = await h.post(chat);
    await expect(cut.text()).rejects.toThrow();
    await waitFor(() => h.events.length === 3, 'the third event');
    expect(h.events[2]!.error).toMatchObject({ code: 'upstream_unreachable' });
  });

  it('429 → 429 with a clamped Retry-After; 5xx → 502; a redirect → 502, never followed; 401/403 → 502 without OpenAI’s text', async () => {
    const h = await setup();
    h.upstream.reply({ type: 'status', status: 429, retryAfter: '9999' });
    const limited = await h.post(chat);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('upstream_rate_limited');
    h.upstream.reply({ type: 'status', status: 503 });
    expect((await h.post(chat)).status).toBe(502);
    h.upstream.reply({ type: 'redirect', status: 307, location: 'http://127.0.0.1:9/elsewhere' });
    const redirected = await h.post(chat);
    expect(redirected.status).toBe(502);
    expect(((await redirected.json()) as { error: { code: string } }).error.code).toBe('upstream_redirect');
    h.upstream.reply({ type: 'auth_error', code: 'mismatched_project' });
    const refused = await h.post(chat);
    const refusedText = await refused.text();
    expect(refused.status).toBe(502);
    expect(refusedText).toContain('upstream_auth_failed');
    expect(refusedText).not.toMatch(/project/i);
    expect(h.upstream.requests).toHaveLength(4);
    assertNoLeak({ responses: [refusedText], upstreamRequests: [] }, [h.key]);
  });

  it('F49: a 401 invalid_api_key after rotation reloads the key once and retries once with the new one', async () => {
    const upstream = await startUpstream();
    cleanups.push(() => upstream.close());
    const keys = [fakeKey('project'), fakeKey('project')];
    let loads = 0;
    const relay = await serveRelay({
      resolver: createResolver({
        sources: [fromValues({ baseURL: upstream.url }), fromProvider(() => keys[Math.min(loads++, 1)]!)],
      }),
      authorize: () => ({ id: 'alice' }),
      mountPath: MOUNT,
    });
    cleanups.push(() => relay.close());
    upstream.reply({ type: 'auth_error', code: 'invalid_api_key' });
    const response = await fetch(`${relay.url}${MOUNT}/models`);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(loads).toBe(2);
    expect(upstream.requests.map((request) => request.headers.authorization)).toEqual([
      [`Bearer ${keys[0]}`],
      [`Bearer ${keys[1]}`],
    ]);
    assertNoLeak({ responses: [response, text], upstreamRequests: [] }, keys);
  });

  it('an upstream that never answers → 504 at timeoutMs, the upstream request aborted', async () => {
    const h = await setup({ limits: { timeoutMs: 300 } });
    h.upstream.reply({ type: 'stall', phase: 'headers' });
    const response = await h.post(chat);
    expect(response.status).toBe(504);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('upstream_timeout');
    await waitFor(() => h.upstream.requests[0]?.aborted === true, 'upstream aborted');
  });
});

describe('serveRelay byte path: the upstream handler', () => {
  it('skips informational heads (103 Early Hints): the final answer and its usage reach the client', async () => {
    const h = await setup();
    const completion = JSON.stringify({ object: 'chat.completion', usage: { total_tokens: 9 } });
    h.upstream.reply({
      type: 'raw',
      handler: (_req, res) => {
        res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(completion);
      },
    });
    const response = await h.post(chat);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(completion);
    await waitFor(() => h.events.length === 1, 'the event');
    expect(h.events[0]).toMatchObject({ status: 200, usage: { totalTokens: 9 } });
  });

  it('a client that reads slowly pauses the upstream read: 24 MiB arrive whole, not held in the relay’s memory', async () => {
    const h = await setup();
    const piece = Buffer.alloc(64 * 1024, 'a');
    const pieces = 384;
    let sent = 0;
    h.upstream.reply({
      type: 'raw',
      handler: (_req, res) => {
        res.writeHead(200, {
          'content-type': 'text/plain',
          'content-length': String(piece.byteLength * pieces),
        });
        const more = () => {
          while (sent < pieces) {
            sent++;
            if (!res.write(piece)) {
              res.once('drain', more);
              return;
            }
          }
          res.end();
        };
        more();
      },
    });
    const { request } = await import('node:http');
    let sentBeforeReading = 0;
    const received = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${h.relay.url}${MOUNT}/chat/completions`,
        {
          method: 'POST',
          headers: { cookie: 'session=alice', origin: h.relay.url, 'content-type': 'application/json' },
        },
        (res) => {
          let size = 0;
          res.pause();
          // Nothing read for a while: the relay's socket to us fills, so it must stop reading upstream.
          setTimeout(() => {
            sentBeforeReading = sent;
            res.on('data', (chunk: Buffer) => {
              size += chunk.byteLength;
            });
            res.on('end', () => resolve(size));
            res.resume();
          }, 300);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(chat));
    });
    expect(received).toBe(piece.byteLength * pieces);
    // Unpaused, the relay would take all 384 pieces into memory while the client reads nothing (measured: 384);
    // paused, only what the sockets on the way hold gets sent (measured: about 124).
    expect(sentBeforeReading).toBeLessThan(pieces * 0.75);
    await waitFor(() => h.events.length === 1, 'the event');
    expect(h.events[0]).toMatchObject({ status: 200 });
    expect(h.events[0]!.error).toBeUndefined();
  });
});

describe('serveRelay byte path: request bodies', () => {
  it('a body already in the buffer when the policy asks (a slow authorize) is taken at once: forwarded intact, or 413 when over maxBodyBytes', async () => {
    const slowAuthorize = async (request: Request) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return request.headers.get('cookie') === 'session=alice' ? { id: 'alice' } : null;
    };
    const h = await setup({ authorize: slowAuthorize, limits: { maxBodyBytes: 4096 } });
    const content = 'é'.repeat(1000); // 2,000 bytes of UTF-8: forwarded byte for byte
    const response = await h.post({ ...chat, messages: [{ role: 'user', content }] });
    expect(response.status).toBe(200);
    expect(JSON.parse(h.upstream.requests[0]!.body).messages[0].content).toBe(content);

    // Chunked, so no Content-Length refuses it early: the body itself is over the limit.
    const { request } = await import('node:http');
    const big = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${h.relay.url}${MOUNT}/chat/completions`,
        {
          method: 'POST',
          headers: { cookie: 'session=alice', origin: h.relay.url, 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ ...chat, messages: [{ role: 'user', content: 'x'.repeat(8192) }] }));
    });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.text).error.code).toBe('body_too_large');
    expect(h.upstream.requests).toHaveLength(1);
  });
});

describe('serveRelay byte path: request headers', () => {
  /** One raw HTTP/1.1 request (header lines as given, repeated ones too), the status code of the answer. */
  const rawStatus = async (url: string, lines: string[], body: string) => {
    const { host } = new URL(url);
    const request = [
      `POST ${MOUNT}/chat/completions HTTP/1.1`,
      `Host: ${host}`,
      'Cookie: session=alice',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      ...lines,
      '',
      body,
    ].join('\r\n');
    return parseRawResponse((await sendRawHttp(url, request, 3000)).text).status;
  };

  it('a repeated header name is read whole, as Headers.get joins it: node keeps only the first of some', async () => {
    const h = await setup();
    const body = JSON.stringify(chat);
    const same = `Origin: ${h.relay.url}`;
    expect(await rawStatus(h.relay.url, [same, 'Content-Type: application/json'], body)).toBe(200);
    // node's `headers` would say application/json (it drops a second Content-Type): the relay sees both.
    expect(
      await rawStatus(
        h.relay.url,
        [same, 'Content-Type: application/json', 'Content-Type: text/plain'],
        body,
      ),
    ).toBe(415);
    expect(
      await rawStatus(
        h.relay.url,
        [same, 'Origin: http://evil.test', 'Content-Type: application/json'],
        body,
      ),
    ).toBe(403);
    expect(h.upstream.requests).toHaveLength(1);
  });
});

describe('createRelayListener: the byte path in your own server', () => {
  const authorize = (request: Request) => {
    const user = /(?:^|; )session=(\w+)/.exec(request.headers.get('cookie') ?? '')?.[1];
    return user === undefined ? null : { id: user };
  };
  /** Listens on a free loopback port; the server is closed after the test. */
  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(resolve);
        }),
    );
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const start = async () => {
    const upstream = await startUpstream();
    cleanups.push(() => upstream.close());
    const key = fakeKey('project');
    const resolver = createResolver({
      apiKey: key,
      baseURL: upstream.url,
      organization: null,
      project: null,
    });
    return { upstream, key, resolver };
  };

  it('serves under its mount next to the app’s own routes, with the same policy as serveRelay', async () => {
    const { upstream, key, resolver } = await start();
    const relay = createRelayListener({ resolver, authorize, mountPath: MOUNT, models: ['gpt-4o-mini'] });
    await relay.ready();
    const url = await listen(
      createServer((req, res) => {
        if (req.url?.startsWith(`${MOUNT}/`)) return relay(req, res);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('the app');
      }),
    );
    upstream.reply({ type: 'json', body: { id: 'chatcmpl-1', usage: { total_tokens: 5 } } });
    const post = (body: unknown, cookie = 'session=alice') =>
      fetch(`${url}${MOUNT}/chat/completions`, {
        method: 'POST',
        headers: { cookie, origin: url, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ok = await post(chat);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ id: 'chatcmpl-1' });
    const app = await fetch(`${url}/about`);
    expect(await app.text()).toBe('the app');
    const stranger = await post(chat, 'session=');
    expect(stranger.status).toBe(401);
    const other = await post({ ...chat, model: 'gpt-4o' });
    expect(other.status).toBe(403);
    expect((await other.json()).error.code).toBe('model_not_allowed');
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.path).toBe('/v1/chat/completions');
    expect(upstream.requests[0]!.headers.authorization).toEqual([`Bearer ${key}`]);
    expect(upstream.requests[0]!.headers.cookie).toBeUndefined();
    assertNoLeak({ responses: [ok, stranger, other], upstreamRequests: [] }, [key]);
  });

  it('mounted in express with app.use (which strips the prefix from req.url), before express.json()', async () => {
    const { upstream, key, resolver } = await start();
    const relay = createRelayListener({ resolver, authorize });
    await relay.ready();
    const app = express();
    app.use(MOUNT, relay);
    app.use(express.json());
    app.post('/echo', (req, res) => {
      res.json(req.body);
    });
    const url = await listen(createServer(app));
    upstream.reply({ type: 'sse', events: ['{"choices":[{"delta":{"content":"a"}}]}', '[DONE]'] });
    const response = await fetch(`${url}${MOUNT}/chat/completions`, {
      method: 'POST',
      headers: { cookie: 'session=alice', origin: url, 'content-type': 'application/json' },
      body: JSON.stringify({ ...chat, stream: true }),
    });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(text).toContain('data: [DONE]');
    expect(upstream.requests[0]!.path).toBe('/v1/chat/completions');
    expect(JSON.parse(upstream.requests[0]!.body)).toMatchObject({ ...chat, stream: true });
    // The app's own JSON routes still get their parsed bodies.
    const echo = await fetch(`${url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(await echo.json()).toEqual({ a: 1 });
    assertNoLeak({ responses: [response, text], upstreamRequests: [] }, [key]);
  });

  it('behind a TLS-terminating proxy, `origin` is the public origin the browser’s Origin must match', async () => {
    const { upstream, key, resolver } = await start();
    const relay = createRelayListener({
      resolver,
      authorize,
      mountPath: MOUNT,
      origin: 'https://app.example.com',
    });
    const url = await listen(createServer(relay));
    upstream.reply({ type: 'json', body: { id: 'chatcmpl-2' } });
    const post = (origin: string) =>
      fetch(`${url}${MOUNT}/chat/completions`, {
        method: 'POST',
        headers: { cookie: 'session=alice', origin, 'content-type': 'application/json' },
        body: JSON.stringify(chat),
      });
    const fromPublic = await post('https://app.example.com');
    expect(fromPublic.status).toBe(200);
    const fromLoopback = await post(url);
    expect(fromLoopback.status).toBe(403);
    expect((await fromLoopback.json()).error.code).toBe('origin_not_allowed');
    expect(upstream.requests).toHaveLength(1);
    assertNoLeak({ responses: [fromPublic, fromLoopback], upstreamRequests: [] }, [key]);
  });

  it('ready() rejects an admin key before anything is served; a bad origin option names the function', async () => {
    const { key } = await start();
    const admin = fakeKey('admin');
    const relay = createRelayListener({
      resolver: createResolver({ apiKey: admin, organization: null, project: null }),
      authorize,
    });
    const error = await relay.ready().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toMatchObject({ code: 'key_kind_not_allowed' });
    expect(() =>
      createRelayListener({
        resolver: createResolver({ apiKey: key }),
        authorize,
        origin: 'https://app.example.com/',
      }),
    ).toThrow(/createRelayListener: origin "https:\/\/app\.example\.com\/" must be an exact origin/);
    assertNoLeak({ errors: [error] }, [admin, key]);
  });
});
