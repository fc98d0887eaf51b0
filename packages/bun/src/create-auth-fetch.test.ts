import { expect, test } from 'bun:test';
import { createServer, type Socket } from 'node:net';
import { assertNoLeak, fakeKey, startUpstream } from '@auth/testkit';
import { runBun } from '../test/run-bun.ts';
import { createAuthFetch, createResolver } from './index.ts';

/*
 * Bun's own fetch underneath: it honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY by itself, so the adapter
 * configures nothing. Proven in subprocesses (Bun reads the proxy variables at start) against a recording
 * proxy on 127.0.0.1; the API host is `.invalid`, which never resolves, so nothing leaves the machine.
 */

interface Proxy {
  url: string;
  heads: string[];
  close(): Promise<void>;
}

/** A proxy that records each request head and refuses it: enough to see what a client sends it. */
async function startRecordingProxy(): Promise<Proxy> {
  const heads: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let head = '';
    socket.on('data', (chunk: Uint8Array) => {
      head += new TextDecoder().decode(chunk);
      if (!head.includes('\r\n\r\n')) return;
      heads.push(head);
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    heads,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const apiURL = 'https://api.openai.invalid/v1';
const fixture = ['run', 'test/fixtures/fetch-models.ts'];

test('HTTPS_PROXY: Bun tunnels through the proxy (CONNECT); the key stays inside TLS, never in clear', async () => {
  const key = fakeKey('project');
  const proxy = await startRecordingProxy();
  try {
    const run = await runBun(fixture, {
      OPENAI_API_KEY: key,
      OPENAI_BASE_URL: apiURL,
      HTTPS_PROXY: proxy.url,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"code":"upstream_unreachable"');
    expect(proxy.heads.length).toBe(1);
    expect(proxy.heads[0] ?? '').toMatch(/^CONNECT api\.openai\.invalid:443 HTTP\/1\.1\r\n/);
    assertNoLeak({ logs: [...proxy.heads, run.stdout, run.stderr] }, [key]);
  } finally {
    await proxy.close();
  }
});

test('NO_PROXY: a listed host is reached directly, the proxy sees nothing', async () => {
  const proxy = await startRecordingProxy();
  try {
    const run = await runBun(fixture, {
      OPENAI_API_KEY: fakeKey('project'),
      OPENAI_BASE_URL: apiURL,
      HTTPS_PROXY: proxy.url,
      NO_PROXY: 'api.openai.invalid',
    });
    expect(run.code).toBe(0);
    // Direct: the .invalid name does not resolve, so the request fails before any byte is sent anywhere.
    expect(run.stdout).toContain('"code":"upstream_unreachable"');
    expect(proxy.heads.length).toBe(0);
  } finally {
    await proxy.close();
  }
});

test('createAuthFetch: a shared resolver with an explicit baseURL sends only there, with one Authorization', async () => {
  const key = fakeKey('project');
  const upstream = await startUpstream({ expectedKey: key });
  const other = await startUpstream();
  try {
    const shared = createResolver({ apiKey: key, organization: null, project: null, baseURL: null });
    const authFetch = createAuthFetch({ resolver: shared, baseURL: upstream.url });
    const response = await authFetch('/models', { headers: { Authorization: 'Bearer caller-value' } });
    expect(response.status).toBe(200);
    await response.body?.cancel();
    // Another origin gets the request as it is, without credentials.
    await (await authFetch(`${other.url}/models`)).body?.cancel();
    expect(upstream.requests[0]?.headers.authorization?.length).toBe(1);
    expect(upstream.requests[0]?.headers.authorization?.[0] === `Bearer ${key}`).toBe(true);
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
    assertNoLeak({ upstreamRequests: upstream.requests, foreignRequests: other.requests }, [key]);
  } finally {
    await upstream.close();
    await other.close();
  }
});

test('createAuthFetch: the fetch option replaces Bun fetch; debug events carry no key', async () => {
  const key = fakeKey('project');
  const seen: Request[] = [];
  const logs: unknown[] = [];
  const authFetch = createAuthFetch({
    apiKey: key,
    baseURL: 'https://api.openai.com/v1',
    fetch: Object.assign(
      (input: string | URL | Request, init?: RequestInit) => {
        seen.push(input instanceof Request ? new Request(input, init) : new Request(String(input), init));
        return Promise.resolve(
          new Response('{"data":[]}', { headers: { 'content-type': 'application/json' } }),
        );
      },
      { preconnect: () => undefined },
    ),
    debug: (message, details) => logs.push([message, details]),
  });
  expect((await authFetch('/models')).status).toBe(200);
  expect(seen.length).toBe(1);
  expect(seen[0]?.headers.get('authorization') === `Bearer ${key}`).toBe(true);
  expect(logs.length).toBeGreaterThanOrEqual(2);
  assertNoLeak({ logs }, [key]);
});
