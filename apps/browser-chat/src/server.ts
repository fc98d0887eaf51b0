/**
 * The backend of browser-chat: one `node:http` server on 127.0.0.1 that serves the page, the sign-in
 * endpoints and the relay (`createRelay` of `@auth/core/relay`) at `/api/openai`. The relay is the only
 * thing that ever holds the OpenAI key; the browser gets a session cookie instead.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createRelay, type RelayEvent } from '@auth/core/relay';
import { createResolver, toNodeListener } from '@auth/node';
import type { RecordedRequest, Reply, Upstream } from '@auth/testkit';
import { renderPage } from './page.ts';
import { createSessions } from './session.ts';

/** Where the relay is mounted; the page's SDK uses it as its `baseURL`. */
export const relayMountPath = '/api/openai';
/** The one model the page asks for, and the relay's model allowlist. */
export const chatModel = 'gpt-4o-mini';

/** Options of {@link startBrowserChat}. */
export interface BrowserChatOptions {
  /** Default 3000; 0 picks a free port. The server binds 127.0.0.1 only. */
  port?: number;
  /**
   * Decides the mode: with `OPENAI_API_KEY` (or `OPENAI_API_KEY_FILE`) the relay uses `@auth/node`'s resolver,
   * which reads `process.env`; without, it starts the test kit's offline upstream. Default `process.env`.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where log lines go. Default `console.log`. None holds a key: the relay's events carry none. */
  log?: (line: string) => void;
}

/** Offline mode's stub of the OpenAI API and the fake key generated for it. */
export interface OfflineUpstream {
  upstream: Upstream;
  /** Fake, made at run time; the stub accepts only it. Exposed so tests can scan for it. */
  apiKey: string;
}

/** A running browser-chat. */
export interface BrowserChatServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  mode: 'online' | 'offline';
  /** Set in offline mode. */
  offline: OfflineUpstream | undefined;
  /** Stops the server (open streams included) and the offline upstream. */
  close(): Promise<void>;
}

/** The browser script and stylesheet, built from source by esbuild once per process. */
interface Assets {
  script: string;
  styles: string;
}

// Every page and JSON answer of the app carries these. `script-src 'self'` with no inline script anywhere:
// an injected `<script>` could not run, and `connect-src 'self'` keeps the page from talking to other origins.
const securityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

function respond(status: number, body: string | null, type: string, headers: Record<string, string> = {}) {
  return new Response(body, {
    status,
    headers: { ...securityHeaders, ...(body === null ? {} : { 'content-type': type }), ...headers },
  });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return respond(status, JSON.stringify(body), 'application/json', headers);
}

function problem(status: number, message: string, code: string): Response {
  return json(status, { error: { message, type: 'invalid_request_error', code } });
}

/**
 * The session endpoints answer only the page's own origin: `SameSite=Strict` keeps the cookie off cross-site
 * requests, but another port of the same host is same-site, and login CSRF needs no cookie at all.
 */
function isSameOrigin(request: Request, origin: string): boolean {
  const sent = request.headers.get('origin');
  if (sent !== null) return sent === origin;
  const site = request.headers.get('sec-fetch-site');
  return site === null || site === 'same-origin' || site === 'none';
}

async function buildAssets(): Promise<Assets> {
  const { build } = await import('esbuild');
  // `../src/` resolves to this folder both from src/server.ts (vitest) and from dist/server.mjs (pnpm start).
  const source = (file: string) => fileURLToPath(new URL(`../src/${file}`, import.meta.url));
  const result = await build({
    entryPoints: { app: source('client.ts'), styles: source('styles.css') },
    bundle: true,
    write: false,
    outdir: 'out',
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    logLevel: 'silent',
  });
  const find = (ext: string) => result.outputFiles.find((file) => file.path.endsWith(ext))?.text;
  const script = find('.js');
  const styles = find('.css');
  if (script === undefined || styles === undefined) throw new Error('browser-chat: esbuild built no assets');
  return { script, styles };
}

/**
 * The offline stub answers a streamed chat completion word by word, with a pause, so the page shows what
 * streaming through the relay looks like; everything else gets the stub's built-in answers.
 */
function offlineReply(apiKey: string) {
  return (request: RecordedRequest): Reply | undefined => {
    const authorization = request.headers.authorization;
    if (authorization?.length !== 1 || authorization[0] !== `Bearer ${apiKey}`) {
      return { type: 'auth_error', code: 'invalid_api_key' };
    }
    if (request.method !== 'POST' || request.path !== '/v1/chat/completions') return undefined;
    let body: { stream?: unknown; messages?: { content?: unknown }[] } = {};
    try {
      body = JSON.parse(request.body) as typeof body;
    } catch {}
    if (body.stream !== true) return undefined;
    const asked = body.messages?.at(-1)?.content;
    const prompt = typeof asked === 'string' ? asked.slice(0, 200) : '';
    const text =
      `You asked: “${prompt}”. This is the offline stub of the OpenAI API answering through the app’s relay, ` +
      'one event at a time. The key that authenticated this request never left the server; your browser only ' +
      'sent its session cookie.';
    const id = `chatcmpl-offline${Date.now()}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: Record<string, string>, finish: string | null) =>
      JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model: chatModel,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      });
    const words = text.match(/\S+\s*/g) ?? [];
    return {
      type: 'sse',
      delayMs: 45,
      events: [
        chunk({ role: 'assistant', content: '' }, null),
        ...words.map((word) => chunk({ content: word }, null)),
        chunk({}, 'stop'),
        '[DONE]',
      ],
    };
  };
}

async function startOffline(): Promise<OfflineUpstream> {
  // The test kit is only loaded in offline mode: a deployment with a key never runs it.
  const { fakeKey, startUpstream } = await import('@auth/testkit');
  const apiKey = fakeKey('project');
  const upstream = await startUpstream({ expectedKey: apiKey });
  // The stub falls back to its built-in answers when a default reply function returns nothing (see
  // startUpstream's request handler); the type asks for a Reply, hence the cast.
  upstream.setDefault(offlineReply(apiKey) as (request: RecordedRequest) => Reply);
  return { upstream, apiKey };
}

function describeEvent(event: RelayEvent): string {
  const who = event.principalId ?? 'anonymous';
  const what = event.route ?? event.method;
  const extra = [
    event.stream ? 'stream' : '',
    event.error
      ? `error ${event.error.code}${event.error.upstreamCode ? `/${event.error.upstreamCode}` : ''}`
      : '',
    event.upstreamRequestId ? event.upstreamRequestId : '',
  ].filter(Boolean);
  return `relay: ${who} ${what} → ${event.status} in ${Math.round(event.durationMs)} ms${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

function readPort(value: number | string | undefined): number {
  const text = typeof value === 'string' ? value.trim() : undefined;
  const port =
    text === undefined ? (typeof value === 'number' ? value : 3000) : text === '' ? 3000 : Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError('browser-chat: PORT must be an integer from 0 to 65535.');
  }
  return port;
}

/**
 * Starts browser-chat on 127.0.0.1.
 *
 * @example
 * const app = await startBrowserChat({ port: 0, env: {} }); // offline mode
 * console.log(app.url);
 * await app.close();
 */
export async function startBrowserChat(options: BrowserChatOptions = {}): Promise<BrowserChatServer> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(line));
  const port = readPort(options.port);
  const online = Boolean(env.OPENAI_API_KEY?.trim() || env.OPENAI_API_KEY_FILE?.trim());

  const offline = online ? undefined : await startOffline();
  try {
    const resolver = offline
      ? createResolver({
          apiKey: offline.apiKey,
          baseURL: offline.upstream.url,
          organization: null,
          project: null,
        })
      : createResolver();
    const sessions = createSessions();
    const relay = createRelay({
      resolver,
      // The session check, from the cookie only: the relay calls it before reading the body.
      authorize: (request) => sessions.check(request.headers.get('cookie')),
      mountPath: relayMountPath,
      // Only the page's own origin (the relay's default, stated here so it is visible): no CORS for anyone.
      origins: [],
      // Least privilege: the two operations the page uses, the one model it asks for.
      routes: ['POST /chat/completions', 'POST /realtime/client_secrets'],
      models: [chatModel],
      limits: { maxBodyBytes: 64 * 1024, timeoutMs: 60_000, idleTimeoutMs: 60_000 },
      rateLimit: { requestsPerMinute: 30, maxConcurrentStreams: 2 },
      onEvent: (event) => log(describeEvent(event)),
    });
    // Fails now, with the resolver's message (no key in it), rather than at the first browser request.
    await relay.ready();
    const credentials = await resolver.resolve();
    const assets = await buildAssets();
    const upstreamOrigin = new URL(credentials.baseURL).origin;

    let allowedHosts = new Set<string>();
    const handle = async (request: Request): Promise<Response> => {
      const url = new URL(request.url);
      // A Host of our own only: a DNS-rebinding page (evil.test resolving to 127.0.0.1) would otherwise be
      // "same-origin" with the app as far as the relay can tell.
      if (!allowedHosts.has(url.host)) return problem(421, 'Unknown host.', 'misdirected_request');
      if (url.pathname === relayMountPath || url.pathname.startsWith(`${relayMountPath}/`))
        return relay(request);
      const route = `${request.method} ${url.pathname}`;
      switch (route) {
        case 'GET /': {
          const signedIn = (await sessions.check(request.headers.get('cookie'))) !== null;
          const page = renderPage({
            mode: offline ? 'offline' : 'online',
            upstreamOrigin,
            model: chatModel,
            signedIn,
          });
          return respond(200, page, 'text/html; charset=utf-8');
        }
        case 'GET /app.js':
          return respond(200, assets.script, 'text/javascript; charset=utf-8');
        case 'GET /app.css':
          return respond(200, assets.styles, 'text/css; charset=utf-8');
        case 'GET /favicon.ico':
          return respond(204, null, '');
        case 'GET /session': {
          const principal = await sessions.check(request.headers.get('cookie'));
          return json(200, principal ? { signedIn: true, user: principal.id } : { signedIn: false });
        }
        case 'POST /session':
        case 'DELETE /session': {
          if (!isSameOrigin(request, url.origin))
            return problem(403, 'Cross-origin request refused.', 'origin_not_allowed');
          const cookie = request.headers.get('cookie');
          // A new session on every sign-in, and the previous one ended: no session fixation.
          const cleared = await sessions.signOut(cookie);
          if (request.method === 'DELETE') return json(200, { signedIn: false }, { 'set-cookie': cleared });
          const { principal, setCookie } = await sessions.signIn();
          return json(200, { signedIn: true, user: principal.id }, { 'set-cookie': setCookie });
        }
        default:
          return ['/', '/app.js', '/app.css', '/session'].includes(url.pathname)
            ? problem(405, 'Method not allowed.', 'method_not_allowed')
            : problem(404, 'Not found.', 'not_found');
      }
    };

    const server = createServer(toNodeListener(handle));
    // Bounded header and request reception (slow clients), independent of the relay's own body limits.
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const actualPort = (server.address() as AddressInfo).port;
    allowedHosts = new Set([`127.0.0.1:${actualPort}`, `localhost:${actualPort}`]);
    const url = `http://127.0.0.1:${actualPort}`;

    log(`browser-chat: open ${url}`);
    if (offline) {
      log(
        `offline mode: OPENAI_API_KEY is not set, so the relay talks to a local stub of the OpenAI API at ${offline.upstream.url} ` +
          'with a fake key generated for this run (it works only there). Set OPENAI_API_KEY to use the real API.',
      );
    } else {
      log(
        // String(credentials) is the masked form, e.g. Credentials(sk-proj-…Ab12, project).
        `online mode: the relay talks to ${credentials.baseURL} with ${String(credentials)}; ` +
          'the browser never sees it.',
      );
    }

    let closing: Promise<void> | undefined;
    return {
      url,
      mode: offline ? 'offline' : 'online',
      offline,
      close() {
        closing ??= (async () => {
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          server.closeAllConnections();
          await closed;
          await offline?.upstream.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await offline?.upstream.close();
    throw error;
  }
}

/**
 * `pnpm start`: PORT (default 3000), OPENAI_API_KEY / OPENAI_API_KEY_FILE, OPENAI_BASE_URL; stops on Ctrl-C.
 *
 * @example
 * await main();
 */
export async function main(): Promise<void> {
  const app = await startBrowserChat({ port: readPort(process.env.PORT) });
  const stop = () => {
    void app.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
