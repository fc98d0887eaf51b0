import { request as httpRequest } from 'node:http';
import { assertNoLeak } from './assert-no-leak.ts';
import { expectValue as expect } from './expect-value.ts';
import { fakeKey, fakeOrgId, fakeProjectId } from './fake-key.ts';
import type { ConformanceHost } from './run-conformance.ts';
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
  }

  const relayCase = (name: string, options: Options, body: (h: Harness) => Promise<void>) =>
    host.it(name, async () => {
      const upstream = await startUpstream();
      let server: RelayServerLike | undefined;
      try {
        const key = fakeKey('project');
        server = await target.serveRelay({
          resolver: target.createResolver({
            apiKey: key,
            baseURL: upstream.url,
            organization: null,
            project: null,
          }),
          authorize: (request: Request) => {
            const user = /(?:^|; )session=(\w+)/.exec(request.headers.get('cookie') ?? '')?.[1];
            return user === undefined ? null : { id: user };
          },
          mountPath: MOUNT,
          ...options,
        });
        const url = server.url;
        const captured: Exchange[] = [];
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
        });
        assertNoLeak({ responses: captured, upstreamRequests: upstream.requests }, [key]);
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
