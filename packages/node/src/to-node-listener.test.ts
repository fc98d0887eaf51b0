import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openRawSocket } from './testing/open-raw-socket.ts';
import { toNodeListener } from './to-node-listener.ts';

/* toNodeListener with plain handlers on a node:http server on 127.0.0.1. */

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(
  handler: (request: Request) => Promise<Response>,
  options?: Parameters<typeof toNodeListener>[1],
): Promise<string> {
  const server = createServer(toNodeListener(handler, options));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(5);
  }
}

/** A GET with node:http, whose response the test controls (pause, destroy). */
function get(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { agent: false }, resolve);
    outgoing.on('error', reject);
    outgoing.end();
    cleanups.push(() => outgoing.destroy());
  });
}

describe('toNodeListener: the request', () => {
  it('body is null for GET and for an empty POST; a POST body streams through; URL, method and headers as sent', async () => {
    const seen: { method: string; url: string; body: string | null; header: string | null }[] = [];
    const url = await serve(async (request) => {
      seen.push({
        method: request.method,
        url: request.url,
        body: request.body === null ? null : await request.text(),
        header: request.headers.get('x-test'),
      });
      return new Response('ok');
    });
    await (await fetch(`${url}/a?b=1`, { headers: { 'x-test': 'one' } })).text();
    await (await fetch(`${url}/empty`, { method: 'POST' })).text();
    await (await fetch(`${url}/full`, { method: 'POST', body: 'x'.repeat(100_000) })).text();
    expect(seen[0]).toEqual({ method: 'GET', url: `${url}/a?b=1`, body: null, header: 'one' });
    expect(seen[1]).toMatchObject({ method: 'POST', body: null });
    expect(seen[2]?.body).toHaveLength(100_000);
  });

  it('request.signal aborts when the client disconnects', async () => {
    let signal: AbortSignal | undefined;
    const url = await serve(async (request) => {
      signal = request.signal;
      await new Promise((resolve) => request.signal.addEventListener('abort', resolve));
      return new Response('late');
    });
    const outgoing = httpRequest(`${url}/wait`, { agent: false });
    outgoing.on('error', () => undefined);
    outgoing.end();
    await waitFor(() => signal !== undefined, 'the handler ran');
    expect(signal?.aborted).toBe(false);
    outgoing.destroy();
    await waitFor(() => signal?.aborted === true, 'the signal aborted');
  });

  it('an absolute-form target → 403 and TRACE → 405 with Allow, without calling the handler; origin option fixes the URL', async () => {
    const urls: string[] = [];
    const url = await serve(
      async (request) => {
        urls.push(request.url);
        return new Response('ok');
      },
      { origin: 'https://app.example.com' },
    );
    const socket = await openRawSocket(url);
    cleanups.push(() => socket.socket.destroy());
    await socket.write('GET http://evil.test/x HTTP/1.1\r\nHost: evil.test\r\n\r\n');
    expect(await socket.waitFor('\r\n\r\n', 2000)).toBe(true);
    expect(socket.received()).toMatch(/^HTTP\/1\.1 403 /);
    const trace = await new Promise<IncomingMessage>((resolve, reject) =>
      httpRequest(`${url}/x`, { method: 'TRACE', agent: false }, resolve).on('error', reject).end(),
    );
    expect(trace.statusCode).toBe(405);
    expect(trace.headers.allow).toContain('GET');
    trace.resume();
    await (await fetch(`${url}/p?q=1`, { headers: { host: 'evil.test' } })).text();
    // Without the origin option, a Host that would move the authority is refused.
    const plain = await serve(async () => new Response('ok'));
    for (const host of ['a@evil.test', 'evil.test/x', 'evil.test?x']) {
      const raw = await openRawSocket(plain);
      cleanups.push(() => raw.socket.destroy());
      await raw.write(`GET /x HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      expect(await raw.waitFor('\r\n\r\n', 2000)).toBe(true);
      expect(raw.received(), host).toMatch(/^HTTP\/1\.1 (400|403) /);
    }
    const explicitPort = await openRawSocket(plain);
    cleanups.push(() => explicitPort.socket.destroy());
    await explicitPort.write('GET /x HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n');
    expect(await explicitPort.waitFor('\r\n\r\n', 2000)).toBe(true);
    expect(explicitPort.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(urls).toEqual(['https://app.example.com/p?q=1']);
    expect(() => toNodeListener(async () => new Response(), { origin: 'https://a.test/path' })).toThrow(
      TypeError,
    );
  });
});

describe('toNodeListener: the response', () => {
  it('streams: a chunk reaches the client before the handler produces the next one', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const url = await serve(async () => {
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode('data: one\n\n'));
          await gate;
          controller.enqueue(encoder.encode('data: two\n\n'));
          controller.close();
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    });
    const incoming = await get(`${url}/sse`);
    expect(incoming.headers['content-type']).toBe('text/event-stream');
    expect(incoming.headers['content-length']).toBeUndefined();
    const chunks: string[] = [];
    incoming.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
    await waitFor(() => chunks.join('').includes('one'), 'the first event before the second exists');
    release();
    await new Promise((resolve) => incoming.on('end', resolve));
    expect(chunks.join('')).toBe('data: one\n\ndata: two\n\n');
  });

  it('backpressure: a client that does not read holds the handler back; leaving cancels its body', async () => {
    let produced = 0;
    let cancelled = false;
    const url = await serve(async () => {
      const chunk = new Uint8Array(64 * 1024);
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          // Bounded: an unbounded producer is the point, but not beyond 1 GB.
          if (produced >= 1024 ** 3) return controller.close();
          produced += chunk.byteLength;
          controller.enqueue(chunk);
        },
        cancel() {
          cancelled = true;
        },
      });
      return new Response(body);
    });
    const incoming = await get(`${url}/big`);
    incoming.pause();
    await sleep(300);
    // Socket buffers on both ends, a few MB on loopback; a buffering listener would take it all.
    expect(produced).toBeLessThan(32 * 1024 * 1024);
    incoming.destroy();
    await waitFor(() => cancelled, 'the body cancelled');
  });

  it('Set-Cookie values stay separate lines; a handler that throws → 500 JSON; a body that fails midway cuts the connection', async () => {
    const url = await serve(async (request) => {
      const path = new URL(request.url).pathname;
      if (path === '/throw') throw new Error('boom');
      if (path === '/broken') {
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('partial'));
            setTimeout(() => controller.error(new Error('upstream reset')), 20);
          },
        });
        return new Response(body);
      }
      const headers = new Headers();
      headers.append('set-cookie', 'a=1; Path=/');
      headers.append('set-cookie', 'b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT');
      return new Response(null, { status: 204, headers });
    });
    const cookies = await get(`${url}/cookies`);
    expect(cookies.headers['set-cookie']).toEqual([
      'a=1; Path=/',
      'b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT',
    ]);
    cookies.resume();
    const thrown = await fetch(`${url}/throw`);
    expect(thrown.status).toBe(500);
    expect(((await thrown.json()) as { error: { code: string } }).error.code).toBe('internal_error');
    const broken = await get(`${url}/broken`);
    const outcome = await new Promise<string>((resolve) => {
      broken.on('error', () => resolve('error'));
      broken.on('aborted', () => resolve('aborted'));
      broken.on('end', () => resolve('end'));
      broken.resume();
    });
    expect(outcome).not.toBe('end');
  });
});
