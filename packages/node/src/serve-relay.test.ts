import { request as httpRequest } from 'node:http';
import { assertNoLeak, fakeKey, startUpstream } from '@auth/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createResolver, type ServeRelayOptions, serveRelay } from './index.ts';
import { openRawSocket, type RawSocket } from './testing/open-raw-socket.ts';
import { scopedEnv } from './testing/scoped-env.ts';
import { type RelayHarness, startRelayHarness, waitFor } from './testing/start-relay-harness.ts';

/*
 * serveRelay over real sockets on 127.0.0.1: framing attacks, disconnects, slow senders. Every server,
 * socket and upstream is closed by the test that opened it (afterEach runs the cleanups).
 */

const MOUNT = '/api/openai';
const env = scopedEnv();
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  env.restore();
});

interface Harness extends RelayHarness {
  raw(options?: { allowHalfOpen?: boolean }): Promise<RawSocket>;
}

async function setup(options: Partial<ServeRelayOptions> = {}): Promise<Harness> {
  const h = await startRelayHarness(cleanups, MOUNT, options);
  return {
    ...h,
    async raw(rawOptions) {
      const socket = await openRawSocket(h.relay.url, rawOptions);
      cleanups.push(() => socket.socket.destroy());
      return socket;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0);
const statusLines = (text: string) => text.match(/HTTP\/1\.1 \d{3} /g) ?? [];

describe('serveRelay: listening', () => {
  it('binds 127.0.0.1 and a free port by default; url is the origin; close() stops listening', async () => {
    const h = await setup();
    expect(h.relay.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const address = h.relay.server.address();
    expect(typeof address === 'object' && address?.address).toBe('127.0.0.1');
    const response = await fetch(`${h.relay.url}${MOUNT}/models`, { headers: { cookie: 'session=alice' } });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    await h.relay.close();
    await expect(fetch(`${h.relay.url}${MOUNT}/models`)).rejects.toThrow();
  });

  it('refuses to start with an admin key (relay.ready()) and with headersTimeoutMs > requestTimeoutMs', async () => {
    const upstream = await startUpstream();
    cleanups.push(() => upstream.close());
    const admin = fakeKey('admin');
    const start = (options: Partial<ServeRelayOptions>) =>
      serveRelay({
        resolver: createResolver({ apiKey: fakeKey('project'), baseURL: upstream.url }),
        authorize: () => ({ id: 'a' }),
        ...options,
      });
    const error = await start({ resolver: createResolver({ apiKey: admin, baseURL: upstream.url }) }).catch(
      (caught: unknown) => caught,
    );
    expect((error as { code?: string }).code).toBe('key_kind_not_allowed');
    await expect(start({ headersTimeoutMs: 5000, requestTimeoutMs: 1000 })).rejects.toThrow(TypeError);
    await expect(start({ headersTimeoutMs: 0 })).rejects.toThrow(TypeError);
    assertNoLeak({ errors: [error] }, [admin]);
  });

  it('close() ends an open SSE stream', async () => {
    const h = await setup();
    h.upstream.setDefault({ type: 'sse', chunks: 50, delayMs: 100 });
    const response = await fetch(`${h.relay.url}${MOUNT}/chat/completions`, {
      method: 'POST',
      headers: { cookie: 'session=alice', origin: h.relay.url, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [] }),
    });
    const reader = response.body!.getReader();
    await reader.read();
    const started = Date.now();
    await h.relay.close();
    await expect(
      (async () => {
        for (let i = 0; i < 100; i++) if ((await reader.read()).done) return;
      })(),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('serveRelay: raw-socket framing (D35)', () => {
  // Host without the port: these requests must never get far enough for the origin check to matter.
  // Same-origin unless told, so a request whose headers are valid gets as far as its body: the framing is tested.
  const post = (headers: string, body: string, host = '127.0.0.1') =>
    `POST ${MOUNT}/chat/completions HTTP/1.1\r\nHost: ${host}\r\n` +
    `${headers.includes('Origin:') ? '' : `Origin: http://${host}\r\n`}Cookie: session=alice\r\n` +
    `Content-Type: application/json\r\n${headers}\r\n${body}`;
  const payload = '{"model":"gpt-4o-mini","messages":[]}';
  const chunked = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n0\r\n\r\n`;

  const cases: [string, string][] = [
    [
      'Content-Length with Transfer-Encoding: chunked',
      post(`Content-Length: ${payload.length}\r\nTransfer-Encoding: chunked\r\n`, chunked(payload)),
    ],
    [
      'two Content-Length headers',
      post(`Content-Length: ${payload.length}\r\nContent-Length: 4\r\n`, payload),
    ],
    [
      'Transfer-Encoding: chunked, identity',
      post('Transfer-Encoding: chunked, identity\r\n', chunked(payload)),
    ],
    [
      'obs-fold header (a continuation line)',
      post(`Content-Length: ${payload.length}\r\nX-Note: a\r\n b\r\n`, payload),
    ],
    [
      'Transfer-Encoding with a space before the colon',
      post('Transfer-Encoding : chunked\r\n', chunked(payload)),
    ],
  ];
  for (const [name, bytes] of cases) {
    it(`D35: ${name} → 400 and the connection closed; the relay never runs, upstream 0`, async () => {
      const h = await setup();
      const socket = await h.raw();
      await socket.write(bytes);
      expect(await socket.waitForEnd(2000)).toBe(true);
      const text = socket.received();
      expect(statusOf(text)).toBe(400);
      expect(statusLines(text)).toHaveLength(1);
      expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).error.code).toBe('invalid_body');
      expect(h.authorized).toEqual([]);
      expect(h.events).toEqual([]);
      expect(h.upstream.requests).toHaveLength(0);
    });
  }

  it('D35: a second request smuggled after a chunked body (bare LF) → 400, connection closed; it never reaches the relay, upstream 0', async () => {
    const h = await setup();
    const socket = await h.raw();
    const smuggled = `GET ${MOUNT}/models HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: session=alice\r\n\r\n`;
    await socket.write(post('Transfer-Encoding: chunked\r\n', `0\n\n${smuggled}`));
    expect(await socket.waitForEnd(2000)).toBe(true);
    const text = socket.received();
    expect(statusOf(text)).toBe(400);
    expect(statusLines(text)).toHaveLength(1);
    // The first request's headers were valid, so the relay may have seen it; the smuggled GET never.
    expect(h.authorized.filter((seen) => seen.startsWith('GET'))).toEqual([]);
    await sleep(50);
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('D35: a chunked body is sent upstream with Content-Length only, never both', async () => {
    const h = await setup();
    const socket = await h.raw();
    await socket.write(
      post(
        `Origin: ${h.relay.url}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n`,
        chunked(payload),
        new URL(h.relay.url).host,
      ),
    );
    expect(await socket.waitForEnd(3000)).toBe(true);
    expect(statusOf(socket.received())).toBe(200);
    const sent = h.upstream.requests[0]!;
    expect(sent.headers['content-length']).toEqual([String(payload.length)]);
    expect(sent.headers['transfer-encoding']).toBeUndefined();
    assertNoLeak({ responses: [socket.received()], upstreamRequests: h.upstream.requests }, [h.key]);
  });

  it('D27: no session and a 1 GB body sent at full speed by a client that ignores the answer → 401, connection closed, the body is not drained', async () => {
    const h = await setup();
    const socket = await h.raw({ allowHalfOpen: true });
    const head = post(
      `Content-Length: ${1024 ** 3}\r\nOrigin: ${h.relay.url}\r\n`,
      '',
      new URL(h.relay.url).host,
    );
    await socket.write(head.replace('Cookie: session=alice\r\n', ''));
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    let written = 0;
    const started = Date.now();
    // Keeps writing after the 401 and the server's FIN; stops when the server destroys the connection (a
    // failed write), at 1 GB or after 5 s. A write that blocks for good (nobody reads) ends the loop too.
    while (written < 1024 ** 3 && Date.now() - started < 5000) {
      const sent = await Promise.race([socket.write(chunk), sleep(2000).then(() => false)]);
      if (!sent) break;
      written += chunk.byteLength;
    }
    expect(await socket.waitForEnd(2000)).toBe(true);
    expect(statusOf(socket.received())).toBe(401);
    expect(socket.received().toLowerCase()).toContain('connection: close');
    // What the kernel buffers plus a socket read or two; draining would read the whole gigabyte.
    expect(written).toBeLessThan(64 * 1024 * 1024);
    expect(h.authorized).toEqual(['POST /api/openai/chat/completions']);
    expect(h.upstream.requests).toHaveLength(0);
  });
});

describe('serveRelay: browser disconnects (D39)', () => {
  it('D39: 100 browsers leaving mid-SSE → each upstream request aborted; no growth in connections, sockets or listeners', async () => {
    const h = await setup({ rateLimit: { requestsPerMinute: 10_000, maxConcurrentStreams: 2 } });
    h.upstream.setDefault({ type: 'sse', chunks: 40, delayMs: 20 });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    cleanups.push(() => process.off('warning', onWarning));
    const listenerCounts = () =>
      h.relay.server.eventNames().map((name) => `${String(name)}:${h.relay.server.listenerCount(name)}`);
    const connections = () =>
      new Promise<number>((resolve, reject) =>
        h.relay.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      );
    const tcpHandles = () =>
      process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap').length;
    const listenersBefore = listenerCounts();
    const handlesBefore = tcpHandles();
    const body = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [] });
    for (let cycle = 0; cycle < 100; cycle++) {
      await new Promise<void>((resolve, reject) => {
        const outgoing = httpRequest(
          `${h.relay.url}${MOUNT}/chat/completions`,
          {
            method: 'POST',
            agent: false,
            headers: { cookie: 'session=alice', origin: h.relay.url, 'content-type': 'application/json' },
          },
          (incoming) => {
            if (incoming.statusCode !== 200)
              reject(new Error(`cycle ${cycle}: status ${incoming.statusCode}`));
            // The first event arrived: the browser tab closes.
            incoming.once('data', () => {
              outgoing.destroy();
              resolve();
            });
          },
        );
        outgoing.on('error', () => undefined);
        outgoing.end(body);
      });
      await waitFor(() => h.upstream.requests[cycle]?.aborted === true, `upstream request ${cycle} aborted`);
    }
    expect(h.upstream.requests).toHaveLength(100);
    expect(h.upstream.requests.every((request) => request.aborted)).toBe(true);
    await waitFor(() => h.events.length === 100, 'an event per stream');
    expect(h.events.every((event) => event.error?.code === 'client_closed_request')).toBe(true);
    let open = -1;
    for (let i = 0; i < 100 && open !== 0; i++) {
      open = await connections();
      if (open !== 0) await sleep(10);
    }
    expect(open).toBe(0);
    expect(listenerCounts()).toEqual(listenersBefore);
    // undici may keep a couple of idle upstream connections; a leak would be one per cycle.
    expect(tcpHandles() - handlesBefore).toBeLessThan(5);
    expect(warnings.map(String)).toEqual([]);
  });
});

describe('serveRelay: slow clients (F46, F47)', () => {
  it('F46: 20 slow header senders are cut with 408 by headersTimeout while a normal request succeeds', async () => {
    const h = await setup({ headersTimeoutMs: 300, requestTimeoutMs: 1000 });
    const started = Date.now();
    const slow = await Promise.all(Array.from({ length: 20 }, () => h.raw()));
    const drips = slow.map(async (socket) => {
      await socket.write(`GET ${MOUNT}/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: `);
      // One header byte every 50 ms, bounded by the connection's end or 3 s.
      for (let i = 0; i < 60 && !socket.ended(); i++) {
        await sleep(50);
        await socket.write('a');
      }
    });
    await sleep(100);
    const normal = await fetch(`${h.relay.url}${MOUNT}/models`, { headers: { cookie: 'session=alice' } });
    expect(normal.status).toBe(200);
    expect(((await normal.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
    // Served while the slow senders still hold their connections.
    expect(slow.some((socket) => !socket.ended())).toBe(true);
    await Promise.all(drips);
    for (const socket of slow) {
      expect(socket.ended()).toBe(true);
      expect(statusOf(socket.received())).toBe(408);
    }
    // 300 ms plus node:http's checking interval (75 ms here), with slack for a loaded machine.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(h.authorized).toEqual(['GET /api/openai/models']);
  });

  it('F47: a body at 1 byte/s → 408 at requestTimeout; no upstream request is opened', async () => {
    const h = await setup({ headersTimeoutMs: 300, requestTimeoutMs: 1000 });
    const socket = await h.raw();
    const started = Date.now();
    await socket.write(
      `POST ${MOUNT}/chat/completions HTTP/1.1\r\nHost: ${new URL(h.relay.url).host}\r\nCookie: session=alice\r\n` +
        `Origin: ${h.relay.url}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`,
    );
    for (let i = 0; i < 5 && !socket.ended(); i++) {
      await socket.write('{');
      await socket.waitForEnd(1000);
    }
    expect(socket.ended()).toBe(true);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThan(900);
    expect(elapsed).toBeLessThan(2500);
    const text = socket.received();
    expect(statusOf(text)).toBe(408);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).error.code).toBe('body_timeout');
    await sleep(50);
    expect(h.upstream.requests).toHaveLength(0);
  });
});
