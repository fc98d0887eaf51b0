/**
 * browser-chat end to end, in a real Chromium (Debian's, driven by playwright-core): the page streams an answer
 * through the relay, mints a Realtime secret, and nothing the browser ever received or stored holds the
 * server's key; a signed-out page gets 401; a page of another origin cannot use the relay.
 */
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertNoLeak, fakeKey, findKeyShapes, type Upstream } from '@auth/testkit';
import { type Browser, type BrowserContext, chromium, type Page, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserChatServer, chatModel, startBrowserChat } from './server.ts';

// As TOOLCHAIN.md says: Debian's chromium, and no background traffic (this machine's network is closed).
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const waitMs = 15_000;
// vitest's default poll gives up after 1 s; a loaded CI machine needs more, and still a bound.
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: waitMs, interval: 50 });
// E43: key-shaped variables a bundler might inline. They are set while the server builds the page's script.
const bundlerVariables = ['OPENAI_API_KEY', 'NEXT_PUBLIC_OPENAI_API_KEY', 'VITE_OPENAI_API_KEY'] as const;

/** One response the browser received, body included (SSE bodies once the stream ended). */
interface Seen {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  page: 'app' | 'attacker';
}

let app: BrowserChatServer;
let upstream: Upstream;
let apiKey: string;
/** The fake key put in the build environment (E43); never used for a request. */
const envKey = fakeKey('project');
let attacker: Server | undefined;
let attackerURL: string;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
let dir: string;
const logs: string[] = [];
const seen: Seen[] = [];
const pendingBodies: Promise<void>[] = [];
const requestHeaders: Record<string, string>[] = [];
const pageProblems: string[] = [];

function record(response: Response, from: Seen['page']): void {
  pendingBodies.push(
    (async () => {
      const headers = await response.allHeaders().catch(() => response.headers());
      // Preflights and redirects have no body to read: an empty string stands for it.
      const body = await response
        .body()
        .then((bytes) => bytes.toString('utf8'))
        .catch(() => '');
      seen.push({ url: response.url(), status: response.status(), headers, body, page: from });
    })(),
  );
}

/** Waits for every response body the browser has received so far. */
async function settleBodies(): Promise<void> {
  while (pendingBodies.length > 0) await Promise.all(pendingBodies.splice(0));
}

/** The cross-origin page: it tries the relay with the app's cookie (same host, so same-site) three ways. */
function attackerPage(relay: string): string {
  const body = JSON.stringify({
    model: chatModel,
    stream: true,
    messages: [{ role: 'user', content: 'pwned' }],
  });
  // A text/plain form whose one field spells a JSON body: the classic way to POST "JSON" without CORS.
  const [field, value] = [body.slice(0, -2), body.slice(-2)];
  return `<!doctype html><html><body>
<iframe name="sink" title="sink"></iframe>
<form id="csrf" method="POST" action="${relay}" enctype="text/plain" target="sink">
  <input type="hidden" name='${field.replace(/'/g, '&#39;')}' value='${value}'>
</form>
<script>
(async () => {
  const relay = ${JSON.stringify(relay)};
  const body = ${JSON.stringify(body)};
  const results = {};
  try {
    const response = await fetch(relay, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body });
    results.cors = { status: response.status, text: await response.text() };
  } catch (error) {
    results.cors = { error: String(error) };
  }
  try {
    const response = await fetch(relay, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body });
    results.noCors = { type: response.type, status: response.status, text: await response.text() };
  } catch (error) {
    results.noCors = { error: String(error) };
  }
  window.results = results;
  document.getElementById('csrf').submit();
})();
</script></body></html>`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'browser-chat-e2e-'));
  // Offline mode (an empty environment decides it), so the app starts the test kit's stub with a fake key of
  // its own; meanwhile process.env holds another fake key under the names bundlers inline, while the server
  // bundles the page's script.
  const saved = bundlerVariables.map((name) => [name, process.env[name]] as const);
  for (const name of bundlerVariables) process.env[name] = envKey;
  try {
    app = await startBrowserChat({ port: 0, env: {}, log: (line) => logs.push(line) });
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  if (app.offline === undefined) throw new Error('expected offline mode');
  ({ upstream, apiKey } = app.offline);

  const relay = `${app.url}/api/openai/chat/completions`;
  const evil = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(attackerPage(relay));
  });
  attacker = evil;
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  attackerURL = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;

  // launch() gives every run a fresh, temporary profile, deleted when the browser closes.
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: chromiumArgs,
    timeout: 30_000,
  });
  context = await browser.newContext();
  context.setDefaultTimeout(waitMs);
  context.on('request', (request) => {
    void request
      .allHeaders()
      .then((headers) => requestHeaders.push({ url: request.url(), ...headers }))
      .catch(() => {});
  });
  page = await context.newPage();
  page.on('response', (response) => record(response, 'app'));
  page.on('pageerror', (error) => pageProblems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') pageProblems.push(`console: ${message.text()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()));
  attacker?.closeAllConnections();
  await app?.close();
});

describe('browser-chat in Chromium (offline upstream)', () => {
  it('serves the page with a strict CSP, nosniff and same-origin referrers, and says it is offline', async () => {
    const response = await page.goto(app.url);
    expect(response?.status()).toBe(200);
    const headers = response?.headers() ?? {};
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('same-origin');
    await poll(() => page.getByTestId('upstream-mode').textContent()).toContain('Offline mode');
    expect(logs.some((line) => line.startsWith('offline mode: '))).toBe(true);
    expect(await page.getByTestId('status').textContent()).toBe('Signed out.');
  });

  it('sign-in sets an HttpOnly, SameSite=Strict session cookie that page scripts cannot read', async () => {
    await page.getByTestId('sign-in').click();
    await poll(() => page.getByTestId('status').textContent()).toMatch(/^Signed in as demo-/);
    const cookies = await context.cookies(app.url);
    expect(cookies.map(({ name, httpOnly, sameSite, path }) => ({ name, httpOnly, sameSite, path }))).toEqual(
      [{ name: 'chat_session', httpOnly: true, sameSite: 'Strict', path: '/' }],
    );
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });

  it('E44/D38: the answer streams in token by token through the relay, with the server key upstream only', async () => {
    const before = upstream.requests.length;
    // Five content events 100 ms apart: the page must show them as they come, not all at the end.
    upstream.reply({ type: 'sse', chunks: 6, delayMs: 100 });
    await page.evaluate(() => {
      const reply = document.querySelector('[data-testid="reply"]')!;
      const lengths: { length: number; at: number }[] = [];
      (window as unknown as { replyLengths: typeof lengths }).replyLengths = lengths;
      new MutationObserver(() =>
        lengths.push({ length: reply.textContent?.length ?? 0, at: performance.now() }),
      ).observe(reply, { childList: true, characterData: true, subtree: true });
    });
    await page.getByTestId('prompt').fill('Say hello');
    await page.getByTestId('send').click();
    await poll(() => page.getByTestId('reply').textContent()).toBe('Hello from the stub upstream.');
    await poll(() => page.getByTestId('send').isEnabled()).toBe(true);
    expect(await page.getByTestId('error').textContent()).toBe('');

    const lengths = await page.evaluate(
      () => (window as unknown as { replyLengths: { length: number; at: number }[] }).replyLengths,
    );
    const growing = lengths.filter(
      (entry, index) => index === 0 || entry.length > lengths[index - 1]!.length,
    );
    const distinct = new Set(growing.map((entry) => entry.length).filter((length) => length > 0));
    expect(distinct.size).toBeGreaterThanOrEqual(3);
    const nonEmpty = growing.filter((entry) => entry.length > 0);
    // Spread over time like the upstream's events (4 gaps of 100 ms), not delivered in one piece.
    expect(nonEmpty.at(-1)!.at - nonEmpty[0]!.at).toBeGreaterThan(200);

    await page.screenshot({ path: join(dir, 'browser-chat-reply.png'), fullPage: true });
    console.log(`browser-chat e2e screenshots in ${dir}`);

    const sent = upstream.requests.slice(before);
    expect(sent.map((request) => `${request.method} ${request.path}`)).toEqual(['POST /v1/chat/completions']);
    const [request] = sent;
    expect(request!.headers.authorization).toEqual([`Bearer ${apiKey}`]);
    // What the browser sent for itself stays at the relay.
    expect(request!.headers.cookie).toBeUndefined();
    expect(request!.headers.origin).toBeUndefined();
    const body = JSON.parse(request!.body) as {
      model: string;
      stream: boolean;
      messages: { content: string }[];
    };
    expect(body).toMatchObject({ model: chatModel, stream: true, messages: [{ content: 'Say hello' }] });
  });

  it('E44: the Realtime button mints a secret and shows only its expiry', async () => {
    const before = upstream.requests.length;
    await page.getByTestId('realtime').click();
    await poll(() => page.getByTestId('realtime-expiry').textContent()).toContain('expires at');
    const expiresAt = Date.parse(
      (await page.locator('[data-testid="realtime-expiry"] time').getAttribute('datetime')) ?? '',
    );
    expect(expiresAt - Date.now()).toBeGreaterThan(60_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(121_000);
    expect(upstream.requests.slice(before).map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /v1/realtime/client_secrets',
    ]);

    await settleBodies();
    const minted = seen.find((entry) => entry.url.endsWith('/api/openai/realtime/client_secrets'));
    const secret = (JSON.parse(minted?.body ?? '{}') as { value?: string }).value ?? '';
    expect(secret).toMatch(/^ek_/);
    // The page shows that a secret exists, never the secret.
    expect(await page.content()).not.toContain(secret);
    await page.screenshot({ path: join(dir, 'browser-chat-realtime.png'), fullPage: true });
  });

  it('principle 1 / E43 / E44: nothing the browser received, ran or stored holds the key', async () => {
    await settleBodies();
    const scripts = await page.evaluate(() =>
      [...document.scripts].map((script) => ({ src: script.src, text: script.textContent ?? '' })),
    );
    expect(scripts.map((script) => new URL(script.src).pathname)).toEqual(['/app.js']);
    const scriptBodies = seen.filter((entry) => entry.url.endsWith('.js')).map((entry) => entry.body);
    expect(scriptBodies.length).toBeGreaterThan(0);
    expect(scriptBodies[0]!.length).toBeGreaterThan(10_000);
    const dom = await page.content();
    const cookies = await context.cookies();
    const storage = await page.evaluate(async () => {
      const dump = (store: Storage) =>
        Object.fromEntries(
          Array.from({ length: store.length }, (_, i) => {
            const key = store.key(i) ?? '';
            return [key, store.getItem(key)];
          }),
        );
      const databases: unknown[] = [];
      for (const { name } of await indexedDB.databases()) {
        if (!name) continue;
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const open = indexedDB.open(name);
          open.onsuccess = () => resolve(open.result);
          open.onerror = () => reject(open.error);
        });
        for (const storeName of db.objectStoreNames) {
          const rows = await new Promise<unknown[]>((resolve, reject) => {
            const all = db.transaction(storeName).objectStore(storeName).getAll();
            all.onsuccess = () => resolve(all.result);
            all.onerror = () => reject(all.error);
          });
          databases.push({ name, storeName, rows });
        }
        db.close();
      }
      return { local: dump(localStorage), session: dump(sessionStorage), databases };
    });
    expect(storage).toEqual({ local: {}, session: {}, databases: [] });

    const relayRequests = requestHeaders.filter((headers) => headers.url?.includes('/api/openai/'));
    expect(relayRequests.length).toBeGreaterThanOrEqual(2);
    // The SDK's `Authorization` is removed: the browser authenticates with its session cookie, nothing else.
    for (const headers of relayRequests) expect(headers.authorization).toBeUndefined();

    const browserSide = {
      responses: seen.map((entry) => `${entry.url}\n${JSON.stringify(entry.headers)}\n${entry.body}`),
      values: [dom, scripts, cookies, storage, requestHeaders],
    };
    assertNoLeak({ ...browserSide, logs, upstreamRequests: upstream.requests }, [apiKey, envKey]);
    const everything = JSON.stringify(browserSide);
    expect(everything.includes(apiKey)).toBe(false);
    expect(everything.includes(envKey)).toBe(false);
    expect(findKeyShapes(everything)).toEqual([]);
    expect(findKeyShapes(logs.join('\n'))).toEqual([]);
    // No CSP violation, no script error: the page works within its own policy.
    expect(pageProblems).toEqual([]);
  });

  it('D27: after sign-out the relay answers 401 to the page, and to a replayed copy of the old cookie', async () => {
    const [oldCookie] = await context.cookies(app.url);
    await page.getByTestId('sign-out').click();
    await poll(() => page.getByTestId('status').textContent()).toMatch(/^Signed out/);
    expect(await context.cookies(app.url)).toEqual([]);
    const before = upstream.requests.length;

    const answer = await page.evaluate(async (model) => {
      const response = await fetch('/api/openai/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'still there?' }] }),
      });
      return { status: response.status, body: await response.text() };
    }, chatModel);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'unauthorized' } });

    // The cookie a thief copied before sign-out: the session is gone on the server, so it is worth nothing.
    const replay = await fetch(`${app.url}/api/openai/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: app.url,
        cookie: `${oldCookie!.name}=${oldCookie!.value}`,
      },
      body: JSON.stringify({ model: chatModel, messages: [{ role: 'user', content: 'replay' }] }),
    });
    expect(replay.status).toBe(401);
    await replay.body?.cancel();

    // The page's own button says the same thing in words.
    await page.getByTestId('prompt').fill('Anyone?');
    await page.getByTestId('send').click();
    await poll(() => page.getByTestId('error').textContent()).toContain('401');
    expect(upstream.requests.length).toBe(before);
  });

  it('D32/D33: a page of another origin, with the session cookie in the jar, cannot use the relay', async () => {
    await page.getByTestId('sign-in').click();
    await poll(() => page.getByTestId('status').textContent()).toMatch(/^Signed in as demo-/);
    const before = upstream.requests.length;
    const eventsBefore = logs.length;

    const evil = await context.newPage();
    const relayPath = '/api/openai/chat/completions';
    const relayResponses: Response[] = [];
    evil.on('response', (response) => {
      record(response, 'attacker');
      if (response.url().includes(relayPath)) relayResponses.push(response);
    });
    const formPost = evil.waitForRequest(
      (request) =>
        request.method() === 'POST' &&
        request.url().endsWith(relayPath) &&
        request.frame() !== evil.mainFrame(),
    );
    await evil.goto(attackerURL);
    await evil.waitForFunction(() => 'results' in window, undefined, { timeout: waitMs });
    const results = (await evil.evaluate(() => (window as unknown as { results: unknown }).results)) as {
      cors: { error?: string; status?: number };
      noCors: { type?: string; status?: number; text?: string; error?: string };
    };
    const form = await formPost;
    const formResponse = await form.response();
    await settleBodies();

    // A CORS fetch with JSON: the preflight is refused, so the script gets a network error and nothing else.
    expect(results.cors.error).toMatch(/TypeError/);
    // A "simple" no-cors POST goes out but answers opaquely: status 0, no body to read.
    expect(results.noCors).toEqual({ type: 'opaque', status: 0, text: '' });
    // The form POST: refused by the relay, in a frame the attacker's script cannot read.
    expect(formResponse?.status()).toBe(403);
    // The browser did attach the session cookie (same host, other port: same-site): the origin check stopped it.
    expect((await form.allHeaders()).cookie).toContain('chat_session=');
    expect((await form.allHeaders()).origin).toBe(attackerURL);

    expect(relayResponses.length).toBeGreaterThanOrEqual(2);
    for (const response of relayResponses) {
      expect([403, 415]).toContain(response.status());
      const headers = await response.allHeaders();
      expect(headers['access-control-allow-origin']).toBeUndefined();
      expect(headers['access-control-allow-credentials']).toBeUndefined();
    }
    // Not one of them reached the OpenAI stub.
    expect(upstream.requests.length).toBe(before);
    const refusals = logs.slice(eventsBefore).filter((line) => line.startsWith('relay: '));
    expect(refusals.length).toBeGreaterThanOrEqual(3);
    for (const line of refusals)
      expect(line).toMatch(/→ 40[35] .*error (origin_not_allowed|cross_site_request|unsupported_media_type)/);
    await evil.close();

    assertNoLeak(
      { responses: seen.filter((entry) => entry.page === 'attacker').map((entry) => entry.body), logs },
      [apiKey, envKey],
    );
  });
});
