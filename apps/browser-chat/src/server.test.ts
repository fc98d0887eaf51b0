/**
 * The backend without a browser: online mode (a key in the environment, `@auth/node`'s resolver), the session
 * endpoints' origin rule, and the Host check. The browser-level behaviour is in e2e.test.ts.
 */
import { assertNoLeak, fakeKey, findKeyShapes, startUpstream, type Upstream } from '@auth/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserChatServer, chatModel, startBrowserChat } from './server.ts';

const names = ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_ORG_ID', 'OPENAI_PROJECT_ID'] as const;
const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
const key = fakeKey('service_account');
const logs: string[] = [];
let upstream: Upstream;
let app: BrowserChatServer;

beforeAll(async () => {
  upstream = await startUpstream({ expectedKey: key });
  // Online mode reads process.env through @auth/node, as `pnpm start` with OPENAI_API_KEY set does.
  for (const name of names) delete process.env[name];
  process.env.OPENAI_API_KEY = key;
  process.env.OPENAI_BASE_URL = upstream.url;
  app = await startBrowserChat({ port: 0, log: (line) => logs.push(line) });
});

afterAll(async () => {
  await app?.close();
  await upstream?.close();
  for (const name of names) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

async function signIn(): Promise<string> {
  const response = await fetch(`${app.url}/session`, { method: 'POST', headers: { origin: app.url } });
  expect(response.status).toBe(200);
  return response.headers.getSetCookie()[0]!.split(';', 1)[0]!;
}

describe('browser-chat server', () => {
  it('online mode: the relay uses the key from the environment, and says so with the key masked', async () => {
    expect(app.mode).toBe('online');
    expect(app.offline).toBeUndefined();
    const online = logs.find((line) => line.startsWith('online mode: '));
    expect(online).toContain(upstream.url);
    expect(online).toContain(`sk-svcacct-…${key.slice(-4)}`);

    const page = await (await fetch(app.url)).text();
    expect(page).toContain('data-testid="upstream-mode"');
    expect(page).toContain('Online mode');

    const cookie = await signIn();
    const response = await fetch(`${app.url}/api/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.url, cookie },
      body: JSON.stringify({ model: chatModel, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    const body = await response.text();
    expect(response.status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.headers.authorization).toEqual([`Bearer ${key}`]);
    expect(upstream.requests[0]!.headers.cookie).toBeUndefined();
    assertNoLeak({ responses: [body, page], logs, upstreamRequests: upstream.requests }, [key]);
    expect(findKeyShapes(`${body}\n${page}\n${logs.join('\n')}`)).toEqual([]);
  });

  it('D41: a Realtime mint answers only the ek_ value and its expiry', async () => {
    const cookie = await signIn();
    const response = await fetch(`${app.url}/api/openai/realtime/client_secrets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.url, cookie },
      body: JSON.stringify({ expires_after: { anchor: 'created_at', seconds: 999_999 } }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['expires_at', 'value']);
    expect(body.value).toMatch(/^ek_/);
    // Clamped to the relay's maximum of 2 hours.
    expect(JSON.parse(upstream.requests.at(-1)!.body).expires_after.seconds).toBe(7200);
  });

  it('only the page’s routes are relayed: others get 404 and reach no upstream', async () => {
    const cookie = await signIn();
    const before = upstream.requests.length;
    const response = await fetch(`${app.url}/api/openai/models`, { headers: { origin: app.url, cookie } });
    expect(response.status).toBe(404);
    await response.body?.cancel();
    const embeddings = await fetch(`${app.url}/api/openai/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.url, cookie },
      body: JSON.stringify({ model: 'text-embedding-3-small', input: 'x' }),
    });
    expect(embeddings.status).toBe(404);
    await embeddings.body?.cancel();
    const otherModel = await fetch(`${app.url}/api/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.url, cookie },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(otherModel.status).toBe(403);
    await otherModel.body?.cancel();
    expect(upstream.requests.length).toBe(before);
  });

  it('sign-in and sign-out refuse other origins (login CSRF), and a new sign-in ends the old session', async () => {
    const crossSite = await fetch(`${app.url}/session`, {
      method: 'POST',
      headers: { origin: 'http://127.0.0.1:1' },
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.getSetCookie()).toEqual([]);
    await crossSite.body?.cancel();
    const fetchMetadata = await fetch(`${app.url}/session`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'same-site' },
    });
    expect(fetchMetadata.status).toBe(403);
    await fetchMetadata.body?.cancel();

    const first = await signIn();
    const second = await fetch(`${app.url}/session`, {
      method: 'POST',
      headers: { origin: app.url, cookie: first },
    });
    await second.body?.cancel();
    const state = await fetch(`${app.url}/session`, { headers: { cookie: first } });
    expect(await state.json()).toEqual({ signedIn: false });
  });

  it('a Host that is not the app’s own gets 421 (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const port = new URL(app.url).port;
      request({ host: '127.0.0.1', port, path: '/', headers: { host: `rebind.test:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(421);
  });
});
