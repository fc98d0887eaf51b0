import { AuthError } from './auth-error.ts';
import type { CredentialResolver } from './create-resolver.ts';
import type { Credentials } from './credentials.ts';
import { redactHeaders } from './redact-headers.ts';
import { redactSecrets } from './redact-secrets.ts';
import { validateBaseURL } from './validate-base-url.ts';
import { withTimeout } from './with-timeout.ts';

/** A `fetch` that authenticates requests to the API origin. */
export type AuthFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Receives debug events; credential headers arrive as `***` and key-shaped text masked. */
export type DebugLogger = (message: string, details: Record<string, unknown>) => void;

/** Options of {@link createAuthFetch}. */
export interface AuthFetchOptions {
  resolver: CredentialResolver;
  /** The `fetch` to send with. Default: the global one. */
  fetch?: typeof fetch | undefined;
  /** The API root; only its origin gets credentials. Default: the resolved `baseURL`. */
  baseURL?: string | undefined;
  /** Time allowed until the response headers arrive. Default 600 s (the official SDK's own timeout). */
  timeoutMs?: number | undefined;
  /** Longest silence allowed between two chunks of the response body. Default 300 s. */
  idleTimeoutMs?: number | undefined;
  /** On a 401 `invalid_api_key`, invalidate the resolver and retry once if the request can be replayed. Default true. */
  retryOnUnauthorized?: boolean | undefined;
  /** `true` logs to `console.debug`; a function receives every event. Secrets are redacted first. */
  debug?: boolean | DebugLogger | undefined;
}

// Framing and hop-by-hop headers are the transport's business, and the auth headers are the library's.
const dropped = new Set([
  'authorization',
  'openai-organization',
  'openai-project',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
  'expect',
]);
const redirectStatuses = [301, 302, 303, 307, 308];
// A `Response` with one of these statuses cannot be given a body.
const nullBodyStatuses = [101, 103, 204, 205, 304];

/**
 * A `fetch` that adds the OpenAI headers to requests for the API origin (and only those), never follows a
 * redirect with them, bounds waiting with timeouts, and on a 401 `invalid_api_key` refreshes the credentials and
 * retries once. Caller-supplied `Authorization`/`OpenAI-*` headers are replaced by the resolved ones. Paths
 * starting with `/` are relative to the base URL.
 *
 * @example
 * const authFetch = createAuthFetch({ resolver });
 * const models = await (await authFetch('/models')).json();
 */
export function createAuthFetch(options: AuthFetchOptions): AuthFetch {
  const { resolver, debug } = options;
  const send = options.fetch ?? ((input, init) => fetch(input, init));
  const fixedBase = options.baseURL === undefined ? undefined : validateBaseURL(options.baseURL);
  const timeoutMs = options.timeoutMs ?? 600_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 300_000;
  const retry = options.retryOnUnauthorized ?? true;
  const log: DebugLogger | undefined =
    debug === true
      ? (message, details) => console.debug(`[openai-auth] ${message}`, details)
      : debug || undefined;

  const fixedOrigin = fixedBase === undefined ? undefined : new URL(fixedBase).origin;
  return async function authFetch(input, init = {}) {
    const request = typeof Request !== 'undefined' && input instanceof Request ? input : undefined;
    const rawURL = request ? request.url : String(input);
    // Requests that can never carry credentials (another origin, `data:` probes) must not wait for, or fail
    // on, credential resolution.
    if (!rawURL.startsWith('/')) {
      const target = new URL(rawURL);
      if (
        !target.protocol.startsWith('http') ||
        (fixedOrigin !== undefined && target.origin !== fixedOrigin)
      ) {
        return send(input, init);
      }
    }
    const credentials = await resolver.resolve();
    const base = fixedBase ?? credentials.baseURL;
    const url = new URL(rawURL.startsWith('/') ? base + rawURL : rawURL);
    if (url.origin !== new URL(base).origin) return send(input, init);

    const method = (init.method ?? request?.method ?? 'GET').toUpperCase();
    const body = init.body !== undefined ? init.body : (request?.body ?? null);
    const callerSignal = init.signal ?? request?.signal ?? undefined;
    // A stream can be sent only once, so such a request is not retried.
    const streamed = body instanceof ReadableStream;
    const callerHeaderSet = callerHeaders(init.headers ?? request?.headers);
    const where = `${method} ${url.origin}${url.pathname}`;
    const safeURL = redactSecrets(url.href);

    const sendOnce = async (current: Credentials): Promise<Response> => {
      const headers = new Headers(callerHeaderSet);
      for (const [name, value] of Object.entries(current.headers())) headers.set(name, value);
      const controller = new AbortController();
      const onAbort = () => controller.abort(callerSignal?.reason);
      const release = () => callerSignal?.removeEventListener('abort', onAbort);
      if (callerSignal?.aborted) onAbort();
      callerSignal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      const started = Date.now();
      const requestInit: RequestInit & { duplex?: 'half' } = {
        ...init,
        method,
        headers,
        body,
        redirect: 'manual',
        signal: controller.signal,
      };
      if (streamed) requestInit.duplex = 'half';
      log?.('request', { method, url: safeURL, headers: redactHeaders(headers) });
      let response: Response;
      try {
        response = await send(url.href, requestInit);
      } catch (error) {
        release();
        if (callerSignal?.aborted) throw callerSignal.reason ?? error;
        // Not the caller's abort, so any abort here is the timeout's.
        const typed = controller.signal.aborted
          ? new AuthError(
              'upstream_timeout',
              `${where}: no response headers within ${timeoutMs} ms (timeoutMs).`,
            )
          : new AuthError(
              'upstream_unreachable',
              `${where} failed: ${(error as Error)?.message ?? 'network error'}.`,
              {
                cause: error,
              },
            );
        log?.('error', { code: typed.code, message: typed.message });
        throw typed;
      } finally {
        clearTimeout(timer);
      }
      const { status, headers: responseHeaders } = response;
      log?.('response', {
        status,
        requestId: responseHeaders.get('x-request-id'),
        durationMs: Date.now() - started,
        headers: redactHeaders(responseHeaders),
      });
      const location = responseHeaders.get('location');
      if (response.type === 'opaqueredirect' || (redirectStatuses.includes(status) && location !== null)) {
        release();
        await response.body?.cancel().catch(() => undefined);
        let target = 'another URL';
        try {
          const next = new URL(location ?? '', url);
          target = next.origin + next.pathname;
        } catch {}
        throw new AuthError(
          'redirect_blocked',
          `${where} redirected (${status}) to ${target}; credentials never follow redirects: set baseURL to the final URL.`,
          { details: { status } },
        );
      }
      if (response.body === null || nullBodyStatuses.includes(status)) {
        release();
        return response;
      }
      // `new Response(body, response)` copies status, status text and headers.
      return new Response(
        guardBody(response.body, controller, idleTimeoutMs, callerSignal, release),
        response,
      );
    };

    const response = await sendOnce(credentials);
    if (response.status !== 401 || !retry || streamed || !(await isInvalidKey(response))) return response;
    resolver.invalidate(credentials);
    const fresh = await resolver.resolve();
    if (fresh.apiKey === credentials.apiKey) return response;
    log?.('retry', { reason: '401 invalid_api_key', url: safeURL });
    await response.body?.cancel().catch(() => undefined);
    return sendOnce(fresh);
  };
}

/**
 * Re-streams the body with an idle timeout, turns transport failures into typed errors, and keeps a caller's
 * abort an abort. Pull-based, so nothing is buffered beyond what the consumer asks for.
 */
function guardBody(
  source: ReadableStream<Uint8Array>,
  controller: AbortController,
  idleTimeoutMs: number,
  callerSignal: AbortSignal | undefined,
  done: () => void,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(stream) {
      try {
        const chunk = await withTimeout(
          idleTimeoutMs,
          () => reader.read(),
          () =>
            new AuthError('upstream_timeout', `The body stalled for ${idleTimeoutMs} ms (idleTimeoutMs).`),
        );
        if (chunk.done) {
          done();
          stream.close();
        } else stream.enqueue(chunk.value);
      } catch (error) {
        done();
        controller.abort(error);
        reader.cancel(error).catch(() => undefined);
        stream.error(
          callerSignal?.aborted
            ? callerSignal.reason
            : AuthError.is(error)
              ? error
              : new AuthError('upstream_unreachable', 'The connection closed mid-body.', {
                  cause: error,
                }),
        );
      }
    },
    cancel(reason) {
      done();
      controller.abort(reason);
      return reader.cancel(reason).catch(() => undefined);
    },
  });
}

/** The caller's headers minus the dropped ones; a value that is not a string or holds CR, LF or NUL is refused. */
function callerHeaders(init: HeadersInit = {}): Headers {
  const headers = new Headers();
  const entries = init instanceof Headers || Array.isArray(init) ? init : Object.entries(init);
  for (const [name, value] of entries as Iterable<[unknown, unknown]>) {
    const shown = typeof name === 'string' && !/[^\x21-\x7e]/.test(name) ? name : '(invalid name)';
    const text = typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
    if (shown !== name || text === undefined || /[\r\n\0]/.test(text)) {
      throw new AuthError(
        'invalid_header',
        `Header ${shown} needs a visible-ASCII name and a string value without CR, LF or NUL.`,
      );
    }
    if (!dropped.has(name.toLowerCase())) headers.append(name, text);
  }
  return headers;
}

/** True for OpenAI's `invalid_api_key` 401; other 401s (wrong org/project, missing scopes) are not retried. */
async function isInvalidKey(response: Response): Promise<boolean> {
  try {
    const text = await response.clone().text();
    return text.length <= 65_536 && JSON.parse(text)?.error?.code === 'invalid_api_key';
  } catch {
    return false;
  }
}
