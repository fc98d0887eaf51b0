import type { RelayBodyGuard } from './create-body-guard.ts';
import { createRelayEngine } from './create-relay-engine.ts';
import { parseContentLength } from './parse-content-length.ts';
import { pipeUpstreamBody } from './pipe-upstream-body.ts';
import { type BodyBytes, readBodyBytes } from './read-body-bytes.ts';
import { readWholeBody } from './read-whole-body.ts';
import { relayErrorResponse } from './relay-error.ts';
import type { RelayOptions } from './relay-options.ts';
import type { RelayIncoming, RelayTransport, RelayUpstreamResponse } from './relay-transport.ts';
import { splitRequestURL } from './split-request-url.ts';

/**
 * The relay: a Web-standard handler, usable as is by Hono, Next.js route handlers, Deno's and Bun's `serve`
 * and Workers, with a `ready()` check for start-up.
 */
export interface Relay {
  (request: Request): Promise<Response>;
  /**
   * Resolves the server credentials and checks them: rejects with the resolver's `AuthError`, or with
   * `key_kind_not_allowed` for an admin key. Await it at start-up to fail before the first browser does; the
   * handler makes the same check on every request (credentials rotate), answering 500 `relay_misconfigured`.
   */
  ready(): Promise<void>;
}

/** An upstream answer of `fetch`, with its `Response` kept for the body. */
interface FetchUpstream extends RelayUpstreamResponse {
  readonly response: Response;
}

const noop = () => undefined;
// A body up to this size whose length was declared (a request, or a non-stream answer) is read whole with
// `arrayBuffer()` (native) instead of through a stream reader.
const wholeBodyBytes = 64 * 1024;

/**
 * Creates the browser-facing relay: checks the app's session before reading the body, enforces the route,
 * origin, model, size and rate policy, strips everything the browser sent for auth, injects the server
 * credentials, and streams the answer back unbuffered (only a non-stream answer of at most 64 KiB whose length the
 * API declared is read whole first, bounded by the idle timeout: the client waits for all of it anyway, and a
 * `ReadableStream` reader per answer costs more than such a body; a request body of at most 64 KiB with a declared
 * length is read whole the same way, within `limits.timeoutMs`). Upstream auth failures become a generic 502 (OpenAI's
 * text stays in the server log via `onEvent`); every error is JSON in OpenAI's shape.
 *
 * Options are checked here and a bad one throws a `TypeError`: an allowlist entry that is not an API
 * operation, any admin-key operation, a malformed origin or limit.
 *
 * @example
 * const relay = createRelay({
 *   resolver,
 *   authorize: async (request) => (await getSession(request)) ?? null, // { id } or null
 *   mountPath: '/api/openai',
 *   models: ['gpt-4o-mini'],
 * });
 * await relay.ready(); // fails fast on an admin key or missing credentials
 * export default { fetch: relay }; // Workers and Bun; Next.js: export { relay as POST }; Hono: app.all('/api/openai/*', (c) => relay(c.req.raw))
 */
export function createRelay(options: RelayOptions): Relay {
  const engine = createRelayEngine(options);
  const fetchUpstream = options.fetch ?? ((url: string, init: RequestInit) => fetch(url, init));

  const transport: RelayTransport<Response | Promise<Response>, FetchUpstream> = {
    async send({ url, method, headers, body, signal }) {
      // `fetch` takes only a real AbortSignal.
      const controller = new AbortController();
      const abort = () => controller.abort();
      signal.addEventListener('abort', abort);
      if (signal.aborted) abort();
      const response = await fetchUpstream(url, {
        method,
        headers,
        body: body ?? null,
        redirect: 'manual',
        signal: controller.signal,
      });
      return {
        response,
        // A redirect `fetch` did not follow is opaque: status 0, no headers.
        status: response.type === 'opaqueredirect' ? 0 : response.status,
        headers: response.headers,
        async text(maxBytes, idleTimeoutMs) {
          if (response.body === null) return '';
          const read = await readBodyBytes(response.body, maxBytes, idleTimeoutMs);
          return read.ok ? new TextDecoder().decode(read.bytes) : undefined;
        },
        discard() {
          response.body?.cancel().catch(noop);
        },
      };
    },
    reply: (status, headers, body) => new Response(body, { status, headers }),
    pipe(status, headers, upstream, guard) {
      // Before `body` is touched: Bun makes its stream when it is first read.
      if (!guard.sse && isSmall(upstream.headers))
        return answerWhole(status, headers, upstream.response, guard);
      const body = upstream.response.body;
      if (body === null) {
        // An empty body is still a body that ended: the guard reports it.
        guard.end();
        return new Response(null, { status, headers });
      }
      return new Response(pipeUpstreamBody(body, guard), { status, headers });
    },
  };

  const relay = async (request: Request): Promise<Response> => {
    try {
      return await engine.handle(incomingOf(request), transport);
    } catch {
      // A bug or a hostile input that slipped past every check: still JSON, still no detail.
      return relayErrorResponse('internal_error', { vary: 'Origin' });
    }
  };
  return Object.assign(relay, { ready: () => engine.ready() });
}

function incomingOf(request: Request): RelayIncoming {
  const { signal } = request;
  return {
    method: request.method,
    url: splitRequestURL(request.url),
    headers: request.headers,
    hasBody: request.body !== null,
    readBody: (maxBytes, timeoutMs) => readRequestBody(request, maxBytes, timeoutMs),
    clientGone: () => signal.aborted,
    onClientGone(listener) {
      signal.addEventListener('abort', listener, { once: true });
      return () => signal.removeEventListener('abort', listener);
    },
    toRequest: () => request,
  };
}

/**
 * The request body: whole when its declared length is small (the server reads exactly that many bytes), else
 * chunk by chunk with the size cap and a pause limit.
 */
function readRequestBody(request: Request, maxBytes: number, timeoutMs: number): Promise<BodyBytes> {
  const length = parseContentLength(request.headers.get('content-length'));
  return typeof length === 'number' && length <= wholeBodyBytes
    ? readWholeBody(request, maxBytes, timeoutMs)
    : readBodyBytes(request.body!, maxBytes, timeoutMs);
}

/** A declared length of at most {@link wholeBodyBytes}, for a body `fetch` does not decode (so it is the length). */
function isSmall(headers: RelayUpstreamResponse['headers']): boolean {
  const length = headers.get('content-length');
  const encoding = headers.get('content-encoding');
  return (
    length !== null &&
    /^\d{1,6}$/.test(length) &&
    Number(length) <= wholeBodyBytes &&
    (encoding === null || encoding === 'identity')
  );
}

/**
 * A small non-stream body, read whole (bounded by its declared length and the idle timeout) and answered as
 * bytes: a `ReadableStream` per answer costs more than a JSON body itself in Bun and Deno, and the client waits
 * for the whole JSON anyway. A read that fails still cuts the body, as a stream would: never a clean short answer.
 */
async function answerWhole(
  status: number,
  headers: Record<string, string>,
  upstream: Response,
  guard: RelayBodyGuard,
): Promise<Response> {
  const read = await readWholeBody(upstream, wholeBodyBytes, guard.idleTimeoutMs);
  if (!read.ok) {
    const code = read.reason === 'timeout' ? 'upstream_timeout' : guard.readFailure();
    guard.fail(code);
    const cut = new ReadableStream<Uint8Array>({
      start: (controller) => controller.error(new Error(`relay: ${code}`)),
    });
    return new Response(cut, { status, headers });
  }
  // Not SSE, so the guard passes the bytes on as they are (metering them).
  const bytes =
    read.bytes.byteLength === 0 ? null : (guard.push(read.bytes) as Uint8Array<ArrayBuffer> | null);
  guard.end();
  // No body at all for an empty one: a 204 or 304 must not have one.
  return new Response(bytes, { status, headers });
}
