import assert from 'node:assert/strict';
import { assertNoLeak, fakeKey, startUpstream } from '@auth/testkit';
import { runDeno } from '../test/run-deno.ts';
import { createAuthFetch, createResolver } from './index.ts';

/*
 * Deno's own fetch underneath: it honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY by itself, so the adapter
 * configures nothing. Proven in subprocesses (Deno reads the proxy variables when its client starts) against
 * a recording proxy on 127.0.0.1; the API host is `.invalid`, which never resolves, so nothing leaves the
 * machine.
 */

interface Proxy {
  url: string;
  heads: string[];
  close(): Promise<void>;
}

/** A proxy that records each request head and refuses it: enough to see what a client sends it. */
function startRecordingProxy(): Proxy {
  const listener = Deno.listen({ hostname: '127.0.0.1', port: 0 });
  const heads: string[] = [];
  const connections = new Set<Deno.Conn>();
  const served = (async () => {
    for await (const connection of listener) {
      connections.add(connection);
      void (async () => {
        const buffer = new Uint8Array(8192);
        let head = '';
        while (!head.includes('\r\n\r\n')) {
          const read = await connection.read(buffer).catch(() => null);
          if (read === null) break;
          head += new TextDecoder().decode(buffer.subarray(0, read));
        }
        heads.push(head);
        await connection
          .write(new TextEncoder().encode('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n'))
          .catch(() => 0);
        connection.close();
        connections.delete(connection);
      })();
    }
  })();
  const { port } = listener.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}`,
    heads,
    async close() {
      listener.close();
      for (const connection of connections) connection.close();
      await served.catch(() => undefined);
    },
  };
}

const apiURL = 'https://api.openai.invalid/v1';
const flags = [
  'run',
  '--no-prompt',
  '--allow-env',
  '--allow-net=api.openai.invalid,127.0.0.1',
  'test/fixtures/fetch-models.ts',
];

Deno.test('HTTPS_PROXY: Deno tunnels through the proxy (CONNECT); the key stays inside TLS, never in clear', async () => {
  const key = fakeKey('project');
  const proxy = startRecordingProxy();
  try {
    const run = await runDeno(flags, {
      OPENAI_API_KEY: key,
      OPENAI_BASE_URL: apiURL,
      HTTPS_PROXY: proxy.url,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /"code":"upstream_unreachable"/);
    assert.equal(proxy.heads.length, 1);
    assert.match(proxy.heads[0] ?? '', /^CONNECT api\.openai\.invalid:443 HTTP\/1\.1\r\n/);
    assertNoLeak({ logs: [...proxy.heads, run.stdout, run.stderr] }, [key]);
  } finally {
    await proxy.close();
  }
});

Deno.test('NO_PROXY: a listed host is reached directly, the proxy sees nothing', async () => {
  const proxy = startRecordingProxy();
  try {
    const run = await runDeno(flags, {
      OPENAI_API_KEY: fakeKey('project'),
      OPENAI_BASE_URL: apiURL,
      HTTPS_PROXY: proxy.url,
      NO_PROXY: 'api.openai.invalid',
    });
    assert.equal(run.code, 0, run.stderr);
    // Direct: the .invalid name does not resolve, so the request fails before any byte is sent anywhere.
    assert.match(run.stdout, /"code":"upstream_unreachable"/);
    assert.equal(proxy.heads.length, 0);
  } finally {
    await proxy.close();
  }
});

Deno.test('createAuthFetch: a shared resolver with an explicit baseURL sends only there, with one Authorization', async () => {
  const key = fakeKey('project');
  const upstream = await startUpstream({ expectedKey: key });
  const other = await startUpstream();
  try {
    const shared = createResolver({ apiKey: key, organization: null, project: null, baseURL: null });
    const authFetch = createAuthFetch({ resolver: shared, baseURL: upstream.url });
    const response = await authFetch('/models', { headers: { Authorization: 'Bearer caller-value' } });
    assert.equal(response.status, 200);
    await response.body?.cancel();
    // Another origin gets the request as it is, without credentials.
    await (await authFetch(`${other.url}/models`)).body?.cancel();
    assert.deepEqual(upstream.requests[0]?.headers.authorization, [`Bearer ${key}`]);
    assert.equal(other.requests[0]?.headers.authorization, undefined);
    assertNoLeak({ upstreamRequests: upstream.requests, foreignRequests: other.requests }, [key]);
  } finally {
    await upstream.close();
    await other.close();
  }
});

Deno.test('createAuthFetch: the fetch option replaces Deno fetch; debug events carry no key', async () => {
  const key = fakeKey('project');
  const seen: Request[] = [];
  const logs: unknown[] = [];
  const authFetch = createAuthFetch({
    apiKey: key,
    baseURL: 'https://api.openai.com/v1',
    fetch: (input, init) => {
      seen.push(new Request(input, init));
      return Promise.resolve(
        new Response('{"data":[]}', { headers: { 'content-type': 'application/json' } }),
      );
    },
    debug: (message, details) => logs.push([message, details]),
  });
  assert.equal((await authFetch('/models')).status, 200);
  assert.equal(seen.length, 1);
  assert.ok(seen[0]?.headers.get('authorization') === `Bearer ${key}`);
  assert.ok(logs.length >= 2, 'request and response events');
  assertNoLeak({ logs }, [key]);
});
