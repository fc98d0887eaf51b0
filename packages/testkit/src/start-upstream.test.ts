import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeKey } from './fake-key.ts';
import { findKeyShapes } from './key-patterns.ts';
import { sendRawRequest } from './send-raw-request.ts';
import {
  type RecordedRequest,
  startUpstream,
  type Upstream,
  type UpstreamOptions,
} from './start-upstream.ts';

const upstreams: Upstream[] = [];
afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((upstream) => upstream.close()));
});

async function start(options?: UpstreamOptions): Promise<Upstream> {
  const upstream = await startUpstream(options);
  upstreams.push(upstream);
  return upstream;
}

function post(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    ...init,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The data payloads of an SSE body, multi-line data joined with '\n'. */
function ssePayloads(text: string): string[] {
  return text
    .split('\n\n')
    .filter((event) => event !== '')
    .map((event) =>
      event
        .split('\n')
        .map((line) => line.replace(/^data: /, ''))
        .join('\n'),
    );
}

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 2 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function lastRequest(upstream: Upstream): RecordedRequest {
  const request = upstream.requests.at(-1);
  if (request === undefined) throw new Error('no request recorded');
  return request;
}

describe('startUpstream', () => {
  it('listens on a free loopback port and gives its base URL', async () => {
    const upstream = await start();
    expect(upstream.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(upstream.url).toBe(`${upstream.origin}/v1`);
  });

  it('records method, raw target, path, every header value and the full body before answering', async () => {
    const upstream = await start();
    const body = JSON.stringify({ model: 'gpt-4o', input: 'x'.repeat(100_000) });
    const response = await sendRawRequest(upstream.origin, {
      method: 'POST',
      target: '/v1/responses?trace=%2e%2e&x=1',
      headers: { 'X-Dup': ['one', 'two'], 'content-type': 'application/json', authorization: 'Bearer t' },
      body,
    });
    expect(response.status).toBe(200);
    const request = lastRequest(upstream);
    expect(request.method).toBe('POST');
    expect(request.target).toBe('/v1/responses?trace=%2e%2e&x=1');
    expect(request.path).toBe('/v1/responses');
    expect(request.headers['x-dup']).toEqual(['one', 'two']);
    expect(request.headers.authorization).toEqual(['Bearer t']);
    expect(request.rawHeaders).toEqual(expect.arrayContaining(['X-Dup', 'one', 'X-Dup', 'two']));
    expect(request.body).toBe(body);
    expect(request.aborted).toBe(false);
  });

  it('records a request whose client left mid-body, with the partial body, as aborted', async () => {
    const upstream = await start();
    const socket = connect(Number(new URL(upstream.origin).port), '127.0.0.1');
    // The write callback means the bytes reached the kernel, so they go out before the FIN of destroy().
    await new Promise((resolve) =>
      socket.write(
        'POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"partial":',
        resolve,
      ),
    );
    socket.destroy();
    await waitFor(() => upstream.requests.length === 1);
    expect(lastRequest(upstream)).toMatchObject({ method: 'POST', body: '{"partial":', aborted: true });
  });

  describe('default answers', () => {
    it('lists models and returns one model', async () => {
      const upstream = await start();
      const list = await fetch(`${upstream.url}/models`);
      expect(list.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
      const models = (await list.json()) as { object: string; data: { id: string; object: string }[] };
      expect(models.object).toBe('list');
      expect(models.data.map((model) => model.id)).toContain('gpt-4o-mini');
      const one = await fetch(`${upstream.url}/models/gpt-4o`);
      expect(await one.json()).toMatchObject({ id: 'gpt-4o', object: 'model', owned_by: 'openai' });
    });

    it('answers a chat completion as JSON', async () => {
      const upstream = await start();
      const response = await post(`${upstream.url}/chat/completions`, { model: 'gpt-4o', messages: [] });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-request-id')).toBeTruthy();
      const completion = (await response.json()) as Record<string, unknown>;
      expect(completion).toMatchObject({
        object: 'chat.completion',
        model: 'gpt-4o',
        choices: [{ index: 0, message: { role: 'assistant' }, finish_reason: 'stop' }],
      });
    });

    it('streams a chat completion as SSE ending with [DONE] when stream is true', async () => {
      const upstream = await start();
      const response = await post(`${upstream.url}/chat/completions`, { model: 'gpt-4o', stream: true });
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(response.headers.get('x-request-id')).toBeTruthy();
      const payloads = ssePayloads(await response.text());
      expect(payloads.at(-1)).toBe('[DONE]');
      const chunks = payloads.slice(0, -1).map((payload) => JSON.parse(payload) as Record<string, unknown>);
      expect(chunks).toHaveLength(3);
      for (const chunk of chunks)
        expect(chunk).toMatchObject({ object: 'chat.completion.chunk', model: 'gpt-4o' });
      expect(chunks.at(-1)).toMatchObject({ choices: [{ finish_reason: 'stop' }] });
    });

    it('answers responses, embeddings and moderations', async () => {
      const upstream = await start();
      const responses = await post(`${upstream.url}/responses`, { model: 'gpt-4o-mini', input: 'hi' });
      expect(await responses.json()).toMatchObject({ object: 'response', status: 'completed' });
      const embeddings = await post(`${upstream.url}/embeddings`, {
        model: 'text-embedding-3-small',
        input: ['a', 'b'],
      });
      const embedded = (await embeddings.json()) as { object: string; data: { index: number }[] };
      expect(embedded.object).toBe('list');
      expect(embedded.data.map((item) => item.index)).toEqual([0, 1]);
      const moderations = await post(`${upstream.url}/moderations`, { input: 'hi' });
      expect(await moderations.json()).toMatchObject({ results: [{ flagged: false }] });
    });

    it('mints Realtime client secrets', async () => {
      const upstream = await start();
      const before = Math.floor(Date.now() / 1000);
      const response = await post(`${upstream.url}/realtime/client_secrets`, {
        session: { type: 'realtime' },
      });
      const secret = (await response.json()) as { value: string; expires_at: number };
      expect(secret.value).toMatch(/^ek_[0-9a-f]{32}$/);
      expect(secret.expires_at).toBeGreaterThanOrEqual(before + 600);
      expect(secret.expires_at).toBeLessThanOrEqual(before + 602);
    });

    it("answers 404 in OpenAI's error shape for anything else", async () => {
      const upstream = await start();
      const response = await fetch(`${upstream.url}/nope`);
      expect(response.status).toBe(404);
      expect(response.headers.get('x-request-id')).toBeTruthy();
      expect(await response.json()).toEqual({
        error: {
          message: 'Invalid URL (GET /v1/nope)',
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      });
    });

    it('with expectedKey, answers 401 with a masked key unless Authorization is exactly Bearer <key>', async () => {
      const key = fakeKey('project');
      const upstream = await start({ expectedKey: key });
      const ok = await fetch(`${upstream.url}/models`, { headers: { authorization: `Bearer ${key}` } });
      expect(ok.status).toBe(200);

      const wrong = fakeKey('project');
      const denied = await fetch(`${upstream.url}/models`, { headers: { authorization: `Bearer ${wrong}` } });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('x-request-id')).toBeTruthy();
      const body = (await denied.json()) as { error: { message: string; code: string } };
      expect(body.error.code).toBe('invalid_api_key');
      const mask = `${wrong.slice(0, 8)}${'*'.repeat(wrong.length - 12)}${wrong.slice(-4)}`;
      expect(body.error.message).toBe(
        `Incorrect API key provided: ${mask}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      );
      expect(findKeyShapes(body.error.message)).toEqual([]);

      const lowercase = await fetch(`${upstream.url}/models`, {
        headers: { authorization: `bearer ${key}` },
      });
      expect(lowercase.status).toBe(401);
      const missing = await fetch(`${upstream.url}/models`);
      expect(missing.status).toBe(401);
      expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(
        /^You didn't provide an API key/,
      );
    });
  });

  describe('queued replies', () => {
    it('are consumed in order, one per request, then the defaults answer again', async () => {
      const upstream = await start();
      upstream.reply({ type: 'json', body: { n: 1 } });
      upstream.reply((request) => ({
        type: 'json',
        status: 201,
        body: { echo: request.path },
        headers: { 'x-n': '2' },
      }));
      const first = await fetch(`${upstream.url}/anything`);
      expect(await first.json()).toEqual({ n: 1 });
      const second = await fetch(`${upstream.url}/models?x=1`);
      expect(second.status).toBe(201);
      expect(second.headers.get('x-n')).toBe('2');
      expect(await second.json()).toEqual({ echo: '/v1/models' });
      const third = await fetch(`${upstream.url}/models`);
      expect(((await third.json()) as { object: string }).object).toBe('list');
    });

    it('setDefault replaces the built-in answers until reset with undefined', async () => {
      const upstream = await start();
      upstream.setDefault({ type: 'status', status: 503 });
      expect((await fetch(`${upstream.url}/models`)).status).toBe(503);
      expect((await fetch(`${upstream.url}/models`)).status).toBe(503);
      upstream.reply({ type: 'json', body: {} });
      expect((await fetch(`${upstream.url}/models`)).status).toBe(200);
      upstream.setDefault(undefined);
      expect(((await (await fetch(`${upstream.url}/models`)).json()) as { object: string }).object).toBe(
        'list',
      );
    });

    it('answers 500 when a reply function throws', async () => {
      const upstream = await start();
      upstream.reply(() => {
        throw new Error('broken test');
      });
      const response = await fetch(`${upstream.url}/models`);
      expect(response.status).toBe(500);
      expect(await response.text()).toContain('broken test');
    });
  });

  describe('reply types', () => {
    it('sse: generates the given number of chunks and [DONE]', async () => {
      const upstream = await start();
      upstream.reply({ type: 'sse', chunks: 5 });
      const payloads = ssePayloads(
        await (await post(`${upstream.url}/chat/completions`, { stream: true })).text(),
      );
      expect(payloads).toHaveLength(6);
      expect(payloads.at(-1)).toBe('[DONE]');
    });

    it('sse: sends raw events as given, multi-line ones as several data lines, with the delay between them', async () => {
      const upstream = await start();
      upstream.reply({ type: 'sse', events: ['{"a":1}', 'line1\nline2', '[DONE]x'], delayMs: 40 });
      const started = Date.now();
      const text = await (await fetch(`${upstream.url}/chat/completions`)).text();
      expect(Date.now() - started).toBeGreaterThanOrEqual(70);
      expect(text).toBe('data: {"a":1}\n\ndata: line1\ndata: line2\n\ndata: [DONE]x\n\n');
    });

    it.each([
      ['invalid_api_key', 'invalid_api_key'],
      ['mismatched_organization', 'mismatched_organization'],
      ['mismatched_project', 'mismatched_project'],
      ['no_organization', 'no_organization'],
      ['missing_scopes', null],
    ] as const)('auth_error %s: 401 with OpenAI body and code %s', async (code, expected) => {
      const key = fakeKey('service_account');
      const upstream = await start();
      upstream.reply({ type: 'auth_error', code });
      const response = await fetch(`${upstream.url}/models`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ type: 'invalid_request_error', param: null, code: expected });
      expect(JSON.stringify(body)).not.toContain(key);
      if (code === 'invalid_api_key') expect(body.error.message).toContain(`${key.slice(0, 8)}****`);
      if (code === 'missing_scopes') expect(body.error.message).toContain('Missing scopes: api.model.read');
      if (code === 'mismatched_organization') {
        expect(body.error.message).toBe('OpenAI-Organization header should match organization for API key');
      }
    });

    it('status: sends retry headers verbatim and an OpenAI error body', async () => {
      const upstream = await start();
      upstream.reply({ type: 'status', status: 429, retryAfter: 'garbage', retryAfterMs: '-5' });
      const limited = await fetch(`${upstream.url}/models`);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('garbage');
      expect(limited.headers.get('retry-after-ms')).toBe('-5');
      expect(await limited.json()).toMatchObject({ error: { code: 'rate_limit_exceeded' } });

      upstream.reply({ type: 'status', status: 502, body: '<html>Bad Gateway</html>' });
      const html = await fetch(`${upstream.url}/models`);
      expect(html.status).toBe(502);
      expect(html.headers.get('retry-after')).toBeNull();
      expect(await html.text()).toBe('<html>Bad Gateway</html>');

      upstream.reply({ type: 'status', status: 500, body: { custom: true } });
      expect(await (await fetch(`${upstream.url}/models`)).json()).toEqual({ custom: true });
    });

    it.each([301, 302, 303, 307, 308] as const)('redirect %i: status and Location', async (status) => {
      const upstream = await start();
      upstream.reply({ type: 'redirect', status, location: 'http://127.0.0.1:9/elsewhere' });
      const response = await fetch(`${upstream.url}/models`, { redirect: 'manual' });
      expect(response.status).toBe(status);
      expect(response.headers.get('location')).toBe('http://127.0.0.1:9/elsewhere');
    });

    it('stall headers: never answers; a client timeout marks the request aborted', async () => {
      const upstream = await start();
      upstream.reply({ type: 'stall', phase: 'headers' });
      await expect(fetch(`${upstream.url}/models`, { signal: AbortSignal.timeout(100) })).rejects.toThrow();
      expect(upstream.requests).toHaveLength(1);
      await waitFor(() => lastRequest(upstream).aborted);
    });

    it('stall body: sends headers and one chunk, then nothing', async () => {
      const upstream = await start();
      upstream.reply({ type: 'stall', phase: 'body' });
      const response = await fetch(`${upstream.url}/chat/completions`, { signal: AbortSignal.timeout(150) });
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value)).toMatch(/^data: \{.*"chat\.completion\.chunk"/);
      await expect(reader.read()).rejects.toThrow();
      await waitFor(() => lastRequest(upstream).aborted);
    });

    it('close() ends stalled connections, and is idempotent', async () => {
      const upstream = await startUpstream();
      upstream.reply({ type: 'stall', phase: 'headers' });
      upstream.reply({ type: 'stall', phase: 'body' });
      // Settled from the start: the rejections land while close() is awaited, and must not count as unhandled.
      const stalled = Promise.allSettled([
        fetch(`${upstream.url}/models`),
        fetch(`${upstream.url}/models`).then((response) => response.text()),
      ]);
      await waitFor(() => upstream.requests.length === 2);
      const started = Date.now();
      await upstream.close();
      await upstream.close();
      expect(Date.now() - started).toBeLessThan(1000);
      expect((await stalled).map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
      expect(upstream.requests.map((request) => request.aborted)).toEqual([false, false]);
      await expect(fetch(`${upstream.url}/models`)).rejects.toThrow();
    });

    it('reset: sends SSE headers and the given chunks, then cuts the connection', async () => {
      const upstream = await start();
      upstream.reply({ type: 'reset', afterChunks: 2 });
      const response = await post(`${upstream.url}/chat/completions`, { stream: true });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = response.body!.getReader();
      let received = '';
      const reading = (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          received += new TextDecoder().decode(value);
        }
      })();
      await expect(reading).rejects.toThrow();
      expect(ssePayloads(received)).toHaveLength(2);
      expect(received).not.toContain('[DONE]');
      expect(lastRequest(upstream).aborted).toBe(false);
    });

    it('endless: a chunk at once and every delayMs, never [DONE]; the client leaving ends it as aborted', async () => {
      const upstream = await start();
      upstream.reply({ type: 'endless', delayMs: 20 });
      const controller = new AbortController();
      const response = await post(
        `${upstream.url}/chat/completions`,
        { stream: true },
        { signal: controller.signal },
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = response.body!.getReader();
      let received = '';
      const started = Date.now();
      // More events than any finite default (3 chunks), spread over time: it keeps going.
      while (ssePayloads(received).length < 8) {
        const { done, value } = await reader.read();
        expect(done).toBe(false);
        received += new TextDecoder().decode(value);
      }
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
      expect(received).not.toContain('[DONE]');
      expect(JSON.parse(ssePayloads(received)[0]!)).toMatchObject({ object: 'chat.completion.chunk' });
      expect(upstream.stats().responsesOpen).toBe(1);
      controller.abort();
      await waitFor(() => lastRequest(upstream).aborted);
      await waitFor(() => upstream.stats().responsesOpen === 0);
    });

    it('endless: close() ends it', async () => {
      const upstream = await startUpstream();
      upstream.reply({ type: 'endless', delayMs: 10 });
      const response = await fetch(`${upstream.url}/chat/completions`);
      const reading = response.text();
      await waitFor(() => upstream.requests.length === 1);
      await upstream.close();
      await expect(reading).rejects.toThrow();
      expect(upstream.stats().responsesOpen).toBe(0);
    });

    it('raw: hands over the response, with x-request-id already set', async () => {
      const upstream = await start();
      upstream.reply({
        type: 'raw',
        handler: (_req, res) => {
          res.writeHead(418, { 'content-type': 'text/plain' }).end('teapot');
        },
      });
      const response = await fetch(`${upstream.url}/models`);
      expect(response.status).toBe(418);
      expect(response.headers.get('x-request-id')).toBeTruthy();
      expect(await response.text()).toBe('teapot');
    });
  });

  describe('stats', () => {
    it('counts connections opened and closed, and responses in progress, whoever ends them', async () => {
      const upstream = await start();
      expect(upstream.stats()).toEqual({ connectionsOpened: 0, connectionsClosed: 0, responsesOpen: 0 });

      // A connection that sends nothing is counted as soon as it is accepted.
      const idle = connect(Number(new URL(upstream.origin).port), '127.0.0.1');
      await waitFor(() => upstream.stats().connectionsOpened === 1);
      expect(upstream.stats()).toEqual({ connectionsOpened: 1, connectionsClosed: 0, responsesOpen: 0 });
      idle.destroy();
      await waitFor(() => upstream.stats().connectionsClosed === 1);

      // A stalled response is open until its client leaves.
      upstream.reply({ type: 'stall', phase: 'headers' });
      const controller = new AbortController();
      const stalled = fetch(`${upstream.url}/models`, { signal: controller.signal }).catch(() => 'aborted');
      await waitFor(() => upstream.stats().responsesOpen === 1);
      expect(upstream.stats().connectionsOpened).toBe(2);
      controller.abort();
      expect(await stalled).toBe('aborted');
      await waitFor(() => upstream.stats().responsesOpen === 0 && upstream.stats().connectionsClosed === 2);

      // A finished response no longer counts, while its keep-alive connection stays open (fetch's pool may
      // hold more than one).
      const models = await fetch(`${upstream.url}/models`);
      await models.arrayBuffer();
      await waitFor(() => upstream.stats().responsesOpen === 0);
      expect(upstream.stats().connectionsOpened - upstream.stats().connectionsClosed).toBeGreaterThanOrEqual(
        1,
      );
      await upstream.close();
      await waitFor(() => upstream.stats().connectionsClosed === upstream.stats().connectionsOpened);
    });
  });
});
