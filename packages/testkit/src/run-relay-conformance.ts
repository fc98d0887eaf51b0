import { request as httpRequest } from 'node:http';
import { assertNoLeak } from './assert-no-leak.ts';
import { expectValue as expect } from './expect-value.ts';
import { fakeKey, fakeOrgId, fakeProjectId } from './fake-key.ts';
import type { ConformanceHost } from './run-conformance.ts';
import { parseRawResponse, type RawHttpResponse, rawHeaderValues, sendRawHttp } from './send-raw-http.ts';
import { startUpstream, type Upstream } from './start-upstream.ts';

// Structural view of an adapter: testkit must not depend on the code it checks.
// biome-ignore lint/suspicious/noExplicitAny: relay options differ per adapter; the cases pass plain objects.
type Options = any;

/** A running relay server, as every adapter's `serveRelay` resolves to. */
export interface RelayServerLike {
  url: string;
  close(): Promise<void>;
}

/** An adapter under test for the relay cases: its `serveRelay` and `createResolver`. */
export interface RelayConformanceTarget {
  runtime: 'node' | 'deno' | 'bun';
  serveRelay(options: Options): Promise<RelayServerLike>;
  createResolver(options?: Options): unknown;
}

/** One exchange as the client saw it. */
interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** When each body chunk arrived, in ms since the request was sent. */
  chunkTimes: number[];
  /** When the body ended, in ms since the request was sent. */
  endTime: number;
}

interface SendInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | string[];
  /** Session user; `null` sends no cookie. Default 'alice'. */
  user?: string | null;
}

const MOUNT = '/api/openai';
const chat = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });

/**
 * One request with `node:http` (present in Node, Deno and Bun): unlike `fetch` it sends TRACE, keeps the
 * target exactly as written (`..`, `%2e`, absolute-form) and lets the test set `Origin` and `Cookie`.
 * `body` as an array is sent chunked, one write per element.
 */
function exchange(
  origin: string,
  target: string,
  init: SendInit,
  defaults: Record<string, string>,
): Promise<Exchange> {
  const { hostname, port } = new URL(origin);
  const { user = 'alice', method = init.body === undefined ? 'GET' : 'POST' } = init;
  const headers: Record<string, string> = {
    ...defaults,
    ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(user === null ? {} : { cookie: `session=${user}` }),
    ...init.headers,
  };
  for (const [name, value] of Object.entries(headers)) if (value === '') delete headers[name];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { hostname, port, method, path: target, headers, agent: false },
      (incoming) => {
        const decoder = new TextDecoder();
        let body = '';
        const chunkTimes: number[] = [];
        incoming.on('data', (chunk: Uint8Array) => {
          chunkTimes.push(Date.now() - started);
          body += decoder.decode(chunk, { stream: true });
        });
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 0,
            headers: incoming.headers,
            body,
            chunkTimes,
            endTime: Date.now() - started,
          }),
        );
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    if (Array.isArray(init.body)) {
      for (const part of init.body) outgoing.write(part);
      outgoing.end();
    } else outgoing.end(init.body);
  });
}

/**
 * The relay cases every runtime must pass the same way over real sockets, named by their SECURITY-TESTS
 * numbers: each starts a stub upstream and the adapter's `serveRelay` on 127.0.0.1 and scans every response
 * and every upstream request for the server key.
 *
 * @example
 * import { describe, it } from 'vitest';
 * import { createResolver, serveRelay } from './index.ts';
 * runRelayConformance({ describe, it }, { runtime: 'node', serveRelay, createResolver });
 */
export function runRelayConformance(host: ConformanceHost, target: RelayConformanceTarget): void {
  interface Harness {
    upstream: Upstream;
    url: string;
    key: string;
    /** Sends as a same-origin browser with alice's session unless told otherwise. */
    send(path: string, init?: SendInit): Promise<Exchange>;
    /** Sends `target` exactly as written, with a session and the relay's own Origin. */
    sendTarget(requestTarget: string, init?: SendInit): Promise<Exchange>;
    captured: Exchange[];
    /** Every request the relay's `authorize` saw, as `METHOD path`. */
    authorized: string[];
    /** `host:port` of the relay, for raw requests that must otherwise be valid. */
    host: string;
    /** Writes `bytes` on a fresh raw connection; resolves when the server ends it or after 2 s. */
    raw(bytes: string): Promise<{ text: string; ended: boolean; response: RawHttpResponse }>;
  }

  const relayCase = (name: string, options: Options, body: (h: Harness) => Promise<void>) =>
    host.it(name, async () => {
      const upstream = await startUpstream();
      let server: RelayServerLike | undefined;
      try {
        const key = fakeKey('project');
        const authorized: string[] = [];
        server = await target.serveRelay({
          resolver: target.createResolver({
            apiKey: key,
            baseURL: upstream.url,
            organization: null,
            project: null,
          }),
          authorize: (request: Request) => {
            authorized.push(`${request.method} ${new URL(request.url).pathname}`);
            const user = /(?:^|; )session=(\w+)/.exec(request.headers.get('cookie') ?? '')?.[1];
            return user === undefined ? null : { id: user };
          },
          mountPath: MOUNT,
          ...options,
        });
        const url = server.url;
        const captured: Exchange[] = [];
        const rawTexts: string[] = [];
        const sendTarget = async (requestTarget: string, init: SendInit = {}) => {
          const result = await exchange(url, requestTarget, init, { origin: url });
          captured.push(result);
          return result;
        };
        await body({
          upstream,
          url,
          key,
          captured,
          sendTarget,
          send: (path, init) => sendTarget(MOUNT + path, init),
          authorized,
          host: new URL(url).host,
          raw: async (bytes) => {
            const result = await sendRawHttp(url, bytes, 2000);
            rawTexts.push(result.text);
            return { ...result, response: parseRawResponse(result.text) };
          },
        });
        assertNoLeak({ responses: [...captured, ...rawTexts], upstreamRequests: upstream.requests }, [key]);
      } finally {
        await server?.close();
        await upstream.close();
      }
    });

  const errorCode = (result: Exchange) => {
    try {
      return (JSON.parse(result.body) as { error?: { code?: unknown } }).error?.code;
    } catch {
      return undefined;
    }
  };

  host.describe(`relay conformance (${target.runtime})`, () => {
    relayCase('R1: serveRelay binds 127.0.0.1 by default; a signed-in request is relayed', {}, async (h) => {
      expect(h.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const models = await h.send('/models');
      expect(models.status).toBe(200);
      expect(models.body).toContain('gpt-4o-mini');
      expect(h.upstream.requests.length).toBe(1);
    });

    relayCase('D27: no session → 401 before any upstream call', {}, async (h) => {
      const post = await h.send('/chat/completions', { user: null, body: chat });
      const get = await h.send('/models', { user: null });
      for (const result of [post, get]) {
        expect(result.status).toBe(401);
        expect(errorCode(result)).toBe('unauthorized');
      }
      expect(h.upstream.requests.length).toBe(0);
    });

    relayCase(
      'D29: browser auth, cookie, api-key and forwarding headers never reach upstream',
      {},
      async (h) => {
        const attacker = fakeKey('project');
        const result = await h.send('/chat/completions', {
          body: chat,
          headers: {
            authorization: `Bearer ${attacker}`,
            'openai-organization': fakeOrgId(),
            'openai-project': fakeProjectId(),
            'api-key': attacker,
            'x-api-key': attacker,
            'x-forwarded-for': '203.0.113.7',
            'x-forwarded-host': 'evil.test',
            forwarded: 'for=203.0.113.7;host=evil.test',
          },
        });
        expect(result.status).toBe(200);
        const sent = h.upstream.requests[0];
        expect(sent?.headers.authorization).toEqual([`Bearer ${h.key}`]);
        for (const name of Object.keys(sent?.headers ?? {})) {
          expect(name).not.toMatch(
            /^(openai-organization|openai-project|cookie|api-key|x-api-key|x-forwarded-.*|forwarded)$/,
          );
        }
        // The attacker key may appear nowhere but in what the browser sent; the exact Authorization is checked above.
        assertNoLeak({ upstreamRequests: h.upstream.requests, responses: h.captured }, [h.key, attacker]);
      },
    );

    relayCase(
      'D30: admin, dot-segment, encoded and authority-shaped paths → 403/404, upstream 0',
      {},
      async (h) => {
        const attacks = [
          '/organization/admin_api_keys',
          '/models/../../organization/admin_api_keys',
          '/%2e%2e/%2e%2e/organization/admin_api_keys',
          '/%252e%252e/organization/admin_api_keys',
          '/models%2fgpt-4o-mini',
          '//evil.test/v1/models',
          '/http://evil.test/v1/models',
          '/\\evil.test/v1/models',
          '/@evil.test/v1/models',
          '/models;x=1',
        ];
        for (const attack of attacks) {
          const result = await h.send(attack);
          expect([403, 404].includes(result.status), `${attack} → ${result.status}`).toBe(true);
        }
        expect(h.upstream.requests.length).toBe(0);
      },
    );

    relayCase(
      'D30: an absolute-form target (GET http://evil.test/…) cannot make evil.test the relay’s own origin: refused, upstream 0',
      {},
      async (h) => {
        // Servers differ: refuse the form (Node here), or take the origin from Host (Bun). Taking it from the
        // target would make `Origin: http://evil.test` same-origin, with credentials: that must not happen.
        const result = await h.sendTarget(`http://evil.test${MOUNT}/models`, {
          headers: { origin: 'http://evil.test' },
        });
        expect([400, 403, 404].includes(result.status), `absolute-form → ${result.status}`).toBe(true);
        expect(result.headers['access-control-allow-origin']).toBeUndefined();
        expect(h.upstream.requests.length).toBe(0);
      },
    );

    relayCase('D31: TRACE, PUT and DELETE → 405 with Allow, upstream 0', {}, async (h) => {
      const trace = await h.send('/models', { method: 'TRACE' });
      expect(trace.status).toBe(405);
      expect(String(trace.headers.allow ?? '')).toMatch(/\bGET\b/);
      const put = await h.send('/chat/completions', { method: 'PUT', body: chat });
      expect(put.status).toBe(405);
      expect(String(put.headers.allow ?? '')).toContain('POST');
      const remove = await h.send('/models', { method: 'DELETE' });
      expect(remove.status).toBe(405);
      expect(String(remove.headers.allow ?? '')).toContain('GET');
      expect(h.upstream.requests.length).toBe(0);
    });

    const listed = 'https://app.example.com';
    relayCase(
      'D32: CORS echoes a listed origin exactly; foreign ones get no ACAO',
      { origins: [listed] },
      async (h) => {
        const allowed = await h.send('/models', { headers: { origin: listed } });
        expect(allowed.status).toBe(200);
        expect(allowed.headers['access-control-allow-origin']).toBe(listed);
        expect(allowed.headers['access-control-allow-credentials']).toBe('true');
        expect(String(allowed.headers.vary ?? '')).toContain('Origin');
        const preflight = await h.send('/chat/completions', {
          method: 'OPTIONS',
          user: null,
          headers: { origin: listed, 'access-control-request-method': 'POST' },
        });
        expect(preflight.status).toBe(204);
        expect(preflight.headers['access-control-allow-origin']).toBe(listed);
        for (const origin of [
          'https://app.example.com.evil.test',
          'https://evilapp.example.com',
          'http://app.example.com',
          'https://app.example.com:8443',
          'null',
        ]) {
          const refused = await h.send('/models', { headers: { origin } });
          expect(refused.status, origin).toBe(403);
          expect(refused.headers['access-control-allow-origin'], origin).toBeUndefined();
        }
        expect(h.upstream.requests.length).toBe(1);
      },
    );

    relayCase('D33: cross-site POST → 403; text/plain and form bodies → 415; upstream 0', {}, async (h) => {
      const crossSite = await h.send('/chat/completions', {
        body: chat,
        headers: { origin: '', 'sec-fetch-site': 'cross-site' },
      });
      expect(crossSite.status).toBe(403);
      for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
        const result = await h.send('/chat/completions', { body: chat, headers: { 'content-type': type } });
        expect(result.status, type).toBe(415);
      }
      expect(h.upstream.requests.length).toBe(0);
    });

    relayCase(
      'D34: a body over the limit → 413, by Content-Length or chunked; upstream 0',
      { limits: { maxBodyBytes: 1024 } },
      async (h) => {
        const big = JSON.stringify({ model: 'gpt-4o-mini', input: 'x'.repeat(2048) });
        const byLength = await h.send('/responses', { body: big });
        expect(byLength.status).toBe(413);
        const chunked = await h.send('/responses', { body: [big.slice(0, 1000), big.slice(1000)] });
        expect(chunked.status).toBe(413);
        expect(h.upstream.requests.length).toBe(0);
      },
    );

    // D35 sends its requests byte for byte on a raw socket: fetch and node:http refuse to frame them this
    // way. Each one is otherwise valid (the relay's own Host and Origin, a session), so a server that
    // accepted the framing would run the relay, and `authorize` would say so.
    const payload = JSON.stringify({ model: 'gpt-4o-mini', messages: [] });
    const chunkOf = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n`;
    const postBytes = (h: Harness, headers: string, body: string) =>
      `POST ${MOUNT}/chat/completions HTTP/1.1\r\nHost: ${h.host}\r\nOrigin: ${h.url}\r\n` +
      `Cookie: session=alice\r\nContent-Type: application/json\r\n${headers}\r\n${body}`;
    const smuggledGet = (h: Harness) =>
      `GET ${MOUNT}/models HTTP/1.1\r\nHost: ${h.host}\r\nOrigin: ${h.url}\r\nCookie: session=alice\r\n\r\n`;
    // 400, or the connection closed without a 2xx, and never a second status line on the same stream.
    const expectRefused = (result: { ended: boolean; response: RawHttpResponse }, label: string) => {
      const { status, statusLines } = result.response;
      expect(status === 400 || (result.ended && (status < 200 || status > 299)), `${label} → ${status}`).toBe(
        true,
      );
      expect(result.ended, `${label}: connection still open after the answer`).toBe(true);
      expect(statusLines <= 1, `${label}: ${statusLines} responses on one connection`).toBe(true);
    };

    const ambiguous: [string, (h: Harness) => string][] = [
      [
        'Content-Length with Transfer-Encoding: chunked',
        (h) =>
          postBytes(
            h,
            `Content-Length: ${payload.length}\r\nTransfer-Encoding: chunked\r\n`,
            `${chunkOf(payload)}0\r\n\r\n`,
          ),
      ],
      [
        'two different Content-Length headers',
        (h) => postBytes(h, `Content-Length: ${payload.length}\r\nContent-Length: 4\r\n`, payload),
      ],
      [
        'Transfer-Encoding: chunked, identity',
        (h) => postBytes(h, 'Transfer-Encoding: chunked, identity\r\n', `${chunkOf(payload)}0\r\n\r\n`),
      ],
      [
        'an obs-fold header line (a continuation starting with a space)',
        (h) => postBytes(h, `Content-Length: ${payload.length}\r\nX-Note: a\r\n b\r\n`, payload),
      ],
    ];
    for (const [name, bytes] of ambiguous) {
      relayCase(
        `D35: ${name} → 400 or closed without a 2xx; authorize never called, upstream 0`,
        {},
        async (h) => {
          const result = await h.raw(bytes(h));
          expectRefused(result, name);
          expect(h.authorized).toEqual([]);
          expect(h.upstream.requests.length).toBe(0);
        },
      );
    }

    // A second request hidden where one parser sees body and another sees the next request. Whatever the
    // server makes of the first, the hidden GET must never be authorized or answered.
    const smuggles: [string, (h: Harness) => string, { firstMayRun: boolean }][] = [
      [
        'after a chunked body ended with bare LFs',
        (h) => postBytes(h, 'Transfer-Encoding: chunked\r\n', `0\n\n${smuggledGet(h)}`),
        // The POST's headers are valid: the relay may see it before the broken body is noticed.
        { firstMayRun: true },
      ],
      [
        'after a chunked body whose Content-Length also covers the hidden request (CL.TE)',
        (h) => {
          const body = `0\r\n\r\n${smuggledGet(h)}`;
          return postBytes(h, `Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n`, body);
        },
        { firstMayRun: false },
      ],
      [
        'inside a chunk that a short Content-Length cuts off (TE.CL)',
        (h) => {
          const hidden = smuggledGet(h);
          const sizeLine = `${hidden.length.toString(16)}\r\n`;
          return postBytes(
            h,
            `Transfer-Encoding: chunked\r\nContent-Length: ${sizeLine.length}\r\n`,
            `${sizeLine}${hidden}\r\n0\r\n\r\n`,
          );
        },
        { firstMayRun: false },
      ],
    ];
    for (const [name, bytes, { firstMayRun }] of smuggles) {
      relayCase(
        `D35: a request smuggled ${name} → 400 or closed, one response at most; the hidden GET never runs, upstream 0`,
        {},
        async (h) => {
          const result = await h.raw(bytes(h));
          expectRefused(result, name);
          expect(h.authorized.filter((seen) => seen.startsWith('GET'))).toEqual([]);
          if (!firstMayRun) expect(h.authorized).toEqual([]);
          expect(h.upstream.requests.length).toBe(0);
        },
      );
    }

    relayCase(
      'D35: a valid chunked body reaches upstream intact, never with both Content-Length and Transfer-Encoding',
      {},
      async (h) => {
        const result = await h.raw(
          postBytes(
            h,
            'Connection: close\r\nTransfer-Encoding: chunked\r\n',
            `${chunkOf(payload.slice(0, 10))}${chunkOf(payload.slice(10))}0\r\n\r\n`,
          ),
        );
        expect(result.response.status).toBe(200);
        expect(result.response.statusLines).toBe(1);
        expect(h.upstream.requests.length).toBe(1);
        const sent = h.upstream.requests[0]!;
        expect(sent.body).toBe(payload);
        const lengths = sent.headers['content-length'] ?? [];
        const encodings = sent.headers['transfer-encoding'] ?? [];
        expect(
          lengths.length === 0 || encodings.length === 0,
          'both Content-Length and Transfer-Encoding',
        ).toBe(true);
        expect(lengths.length <= 1 && encodings.length <= 1).toBe(true);
        if (lengths.length === 1) expect(lengths[0]).toBe(String(payload.length));
        if (encodings.length === 1) expect(encodings[0]).toBe('chunked');
      },
    );

    relayCase(
      'D36: browser hop-by-hop headers (Connection-named, Keep-Alive, TE, Upgrade, Proxy-Authorization) never reach upstream',
      {},
      async (h) => {
        const hopSecret = 'browser-hop-secret';
        const proxyCredentials = `Basic ${btoa('proxy-user:proxy-pass')}`;
        const result = await h.raw(
          postBytes(
            h,
            'Connection: close, X-Secret, Idempotency-Key\r\n' +
              `X-Secret: ${hopSecret}\r\n` +
              // Allowlisted, but named in Connection: hop-by-hop for this request, so it must stay here.
              'Idempotency-Key: named-in-connection\r\n' +
              // Allowlisted and not named: the control that shows allowlisted headers do go up.
              'OpenAI-Beta: assistants=v2\r\n' +
              'Keep-Alive: timeout=900, max=77\r\n' +
              'TE: gzip\r\n' +
              'Upgrade: websocket\r\n' +
              `Proxy-Authorization: ${proxyCredentials}\r\n` +
              `Content-Length: ${payload.length}\r\n`,
            payload,
          ),
        );
        expect(result.response.status).toBe(200);
        expect(h.upstream.requests.length).toBe(1);
        const sent = h.upstream.requests[0]!;
        expect(sent.headers['openai-beta']).toEqual(['assistants=v2']);
        for (const name of [
          'x-secret',
          'idempotency-key',
          'keep-alive',
          'te',
          'upgrade',
          'proxy-authorization',
        ]) {
          expect(sent.headers[name], `${name} reached upstream`).toBeUndefined();
        }
        for (const value of sent.headers.connection ?? []) {
          expect(value.toLowerCase()).not.toMatch(/x-secret|idempotency-key/);
        }
        const raw = sent.rawHeaders.join('\n');
        for (const value of [hopSecret, 'named-in-connection', 'timeout=900', proxyCredentials]) {
          expect(raw.includes(value), `${value} reached upstream`).toBe(false);
        }
      },
    );

    relayCase(
      'D36: upstream Connection-named headers, Set-Cookie, Keep-Alive and Transfer-Encoding never reach the browser',
      {},
      async (h) => {
        const listing = {
          object: 'list',
          data: [{ id: 'gpt-4o-mini', object: 'model', owned_by: 'openai' }],
        };
        const text = JSON.stringify(listing);
        h.upstream.reply({
          type: 'raw',
          handler: (_request, response) => {
            response.writeHead(200, {
              'content-type': 'application/json',
              // Names its own secret and one allowlisted header: both are hop-by-hop on this response.
              connection: 'x-upstream-secret, openai-version',
              'x-upstream-secret': 'upstream-hop-secret',
              'openai-version': '2020-10-01',
              'set-cookie': ['__cf_bm=upstream-cookie; path=/; HttpOnly', '_cfuvid=upstream-id; path=/'],
              'keep-alive': 'timeout=987, max=654',
              // Sent chunked on purpose: the relay must re-frame the body, not copy the upstream's framing.
              'transfer-encoding': 'chunked',
            });
            response.write(text.slice(0, 20));
            response.end(text.slice(20));
          },
        });
        const result = await h.raw(
          `GET ${MOUNT}/models HTTP/1.1\r\nHost: ${h.host}\r\nOrigin: ${h.url}\r\nCookie: session=alice\r\n` +
            'Connection: close\r\n\r\n',
        );
        const response = result.response;
        expect(response.status).toBe(200);
        expect(response.statusLines).toBe(1);
        // The control: an allowlisted header the upstream did not name in Connection comes through.
        expect(rawHeaderValues(response, 'x-request-id').length).toBe(1);
        for (const name of ['x-upstream-secret', 'openai-version', 'set-cookie']) {
          expect(rawHeaderValues(response, name), `${name} reached the browser`).toEqual([]);
        }
        for (const value of rawHeaderValues(response, 'connection')) {
          expect(value.toLowerCase()).not.toMatch(/x-upstream-secret|openai-version/);
        }
        for (const value of rawHeaderValues(response, 'keep-alive')) {
          expect(value).not.toMatch(/987|654/);
        }
        expect(result.text.includes('upstream-hop-secret')).toBe(false);
        expect(result.text.includes('upstream-cookie')).toBe(false);
        // The relay's own framing: one of Content-Length or chunked, once, describing the body it sends.
        const lengths = rawHeaderValues(response, 'content-length');
        const encodings = rawHeaderValues(response, 'transfer-encoding');
        expect(
          lengths.length === 0 || encodings.length === 0,
          'both Content-Length and Transfer-Encoding',
        ).toBe(true);
        expect(lengths.length <= 1 && encodings.length <= 1).toBe(true);
        if (encodings.length === 1) expect(encodings[0]!.toLowerCase()).toBe('chunked');
        expect(response.body === undefined ? undefined : JSON.parse(response.body)).toEqual(listing);
      },
    );

    relayCase(
      'D37: upstream 401/403 → generic 502 without OpenAI’s text or the masked key',
      {},
      async (h) => {
        h.upstream.reply({ type: 'auth_error', code: 'invalid_api_key' });
        h.upstream.reply({ type: 'auth_error', code: 'invalid_api_key' });
        const invalid = await h.send('/chat/completions', { body: chat });
        h.upstream.reply({ type: 'auth_error', code: 'mismatched_project' });
        const mismatched = await h.send('/models');
        for (const result of [invalid, mismatched]) {
          expect(result.status).toBe(502);
          expect(errorCode(result)).toBe('upstream_auth_failed');
          expect(result.body).not.toContain('Incorrect API key');
          expect(result.body).not.toContain('OpenAI-Project');
          expect(result.body).not.toContain('sk-');
        }
        expect(h.upstream.requests.length).toBeGreaterThan(1);
      },
    );

    relayCase(
      'D38: SSE arrives event by event, text/event-stream, no-cache, no Content-Length',
      {},
      async (h) => {
        h.upstream.reply({ type: 'sse', chunks: 4, delayMs: 150 });
        const result = await h.send('/chat/completions', {
          body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [] }),
        });
        expect(result.status).toBe(200);
        expect(String(result.headers['content-type'])).toMatch(/^text\/event-stream/);
        expect(result.headers['cache-control']).toBe('no-cache');
        expect(result.headers['content-length']).toBeUndefined();
        expect(result.body).toContain('data: [DONE]');
        // Four events 150 ms apart: a buffering relay would deliver everything at the end, in one go.
        expect(result.chunkTimes.length).toBeGreaterThan(2);
        expect(result.endTime - result.chunkTimes[0]!).toBeGreaterThan(300);
      },
    );

    relayCase(
      'D40: per-session rate limit → 429 with Retry-After; another session is unaffected',
      { rateLimit: { requestsPerMinute: 2 } },
      async (h) => {
        expect((await h.send('/models')).status).toBe(200);
        expect((await h.send('/models')).status).toBe(200);
        const limited = await h.send('/models');
        expect(limited.status).toBe(429);
        expect(String(limited.headers['retry-after'])).toMatch(/^[1-9]\d*$/);
        expect((await h.send('/models', { user: 'bob' })).status).toBe(200);
        expect(h.upstream.requests.length).toBe(3);
      },
    );

    relayCase(
      'D41: Realtime mint needs a session; returns only value and expires_at; TTL clamped',
      {},
      async (h) => {
        const request = JSON.stringify({
          session: { type: 'realtime', model: 'gpt-realtime' },
          expires_after: { seconds: 99_999 },
        });
        const stranger = await h.send('/realtime/client_secrets', { user: null, body: request });
        expect(stranger.status).toBe(401);
        expect(h.upstream.requests.length).toBe(0);
        const minted = await h.send('/realtime/client_secrets', { body: request });
        expect(minted.status).toBe(200);
        const secret = JSON.parse(minted.body) as Record<string, unknown>;
        expect(Object.keys(secret).sort()).toEqual(['expires_at', 'value']);
        expect(String(secret.value)).toMatch(/^ek_/);
        const sent = h.upstream.requests[0];
        expect(sent?.headers.authorization).toEqual([`Bearer ${h.key}`]);
        expect(
          (JSON.parse(sent?.body ?? '{}') as { expires_after?: { seconds?: number } }).expires_after?.seconds,
        ).toBe(7200);
      },
    );
  });
}
