import { AuthError } from './auth-error.ts';
import type { CredentialResolver } from './create-resolver.ts';
import type { Credentials } from './credentials.ts';
import { redactHeaders } from './redact-headers.ts';
import { redactSecrets } from './redact-secrets.ts';
import { validateBaseURL } from './validate-base-url.ts';

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
const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);

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
  const { resolver } = options;
  const send = options.fetch ?? ((input, init) => fetch(input, init));
  const fixedBase = options.baseURL === undefined ? undefined : validateBaseURL(options.baseURL);
  const timeoutMs = options.timeoutMs ?? 600_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 300_000;
  const retry = options.retryOnUnauthorized ?? true;
  const log: DebugLogger | undefined =
    options.debug === true
      ? (message, details) => console.debug(`[openai-auth] ${message}`, details)
      : options.debug || undefined;

  return async function authFetch(input, init = {}) {
    const credentials = await resolver.resolve();
    const base = fixedBase ?? credentials.baseURL;
    const isRequest = typeof Request !== 'undefined' && input instanceof Request;
    const rawURL = isRequest ? (input as Request).url : String(input);
    const url = new URL(rawURL.startsWith('/') ? base + rawURL : rawURL);
    if (url.origin !== new URL(base).origin) return send(input, init);

    const headers = callerHeaders(init.headers ?? (isRequest ? (input as Request).headers : undefined));
    const method = (init.method ?? (isRequest ? (input as Request).method : 'GET')).toUpperCase();
    const body = init.body !== undefined ? init.body : isRequest ? (input as Request).body : null;
    const callerSignal = init.signal ?? (isRequest ? (input as Request).signal : undefined) ?? undefined;
    const replayable = !(typeof ReadableStream !== 'undefined' && body instanceof ReadableStream);
    const attempt = (current: Credentials) =>
      sendOnce(current, url, method, headers, body, init, callerSignal, {
        send,
        timeoutMs,
        idleTimeoutMs,
        log,
      });

    const response = await attempt(credentials);
    if (response.status !== 401 || !retry || !replayable || !(await isInvalidKey(response))) return response;
    resolver.invalidate(credentials);
    const fresh = await resolver.resolve();
    if (fresh.apiKey === credentials.apiKey) return response;
    log?.('retry', { reason: '401 invalid_api_key', url: redactSecrets(url.href) });
    await response.body?.cancel().catch(() => undefined);
    return attempt(fresh);
  };
}

interface SendContext {
  send: typeof fetch;
  timeoutMs: number;
  idleTimeoutMs: number;
  log: DebugLogger | undefined;
}

async function sendOnce(
  credentials: Credentials,
  url: URL,
  method: string,
  callerHeaders: Headers,
  body: BodyInit | null,
  init: RequestInit,
  callerSignal: AbortSignal | undefined,
  context: SendContext,
): Promise<Response> {
  const headers = new Headers(callerHeaders);
  for (const [name, value] of Object.entries(credentials.headers())) headers.set(name, value);
  const controller = new AbortController();
  const onAbort = () => controller.abort(callerSignal?.reason);
  if (callerSignal?.aborted) onAbort();
  callerSignal?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(
      new AuthError('upstream_timeout', `No response headers within ${context.timeoutMs} ms.`),
    );
  }, context.timeoutMs);
  const started = Date.now();
  const requestInit: RequestInit & { duplex?: 'half' } = {
    ...init,
    method,
    headers,
    body,
    redirect: 'manual',
    signal: controller.signal,
  };
  if (body instanceof ReadableStream) requestInit.duplex = 'half';
  context.log?.('request', { method, url: redactSecrets(url.href), headers: redactHeaders(headers) });
  let response: Response;
  try {
    response = await context.send(url.href, requestInit);
  } catch (error) {
    callerSignal?.removeEventListener('abort', onAbort);
    if (callerSignal?.aborted) throw callerSignal.reason ?? error;
    const typed = timedOut
      ? new AuthError(
          'upstream_timeout',
          `${method} ${url.origin}${url.pathname}: no response headers within ${context.timeoutMs} ms.`,
        )
      : new AuthError(
          'upstream_unreachable',
          `${method} ${url.origin}${url.pathname} failed: ${(error as Error)?.message ?? 'network error'}.`,
          {
            cause: error,
          },
        );
    context.log?.('error', { code: typed.code, message: typed.message });
    throw typed;
  } finally {
    clearTimeout(timer);
  }
  const requestId = response.headers.get('x-request-id');
  context.log?.('response', {
    status: response.status,
    requestId,
    durationMs: Date.now() - started,
    headers: redactHeaders(response.headers),
  });
  if (
    response.type === 'opaqueredirect' ||
    (redirectStatuses.has(response.status) && response.headers.has('location'))
  ) {
    callerSignal?.removeEventListener('abort', onAbort);
    await response.body?.cancel().catch(() => undefined);
    const location = response.headers.get('location') ?? '';
    let target = 'another URL';
    try {
      const next = new URL(location, url);
      target = `${next.origin}${next.pathname}`;
    } catch {}
    throw new AuthError(
      'redirect_blocked',
      `${method} ${url.origin}${url.pathname} answered ${response.status} redirecting to ${target}; credentials are never sent after a redirect. Set baseURL to the final address.`,
      { details: { status: response.status } },
    );
  }
  if (response.body === null || nullBodyStatuses.has(response.status)) {
    callerSignal?.removeEventListener('abort', onAbort);
    return response;
  }
  const guarded = guardBody(response.body, controller, context.idleTimeoutMs, callerSignal, () =>
    callerSignal?.removeEventListener('abort', onAbort),
  );
  return new Response(guarded, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
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
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new AuthError('upstream_timeout', `The response body stalled for ${idleTimeoutMs} ms.`)),
          idleTimeoutMs,
        );
      });
      try {
        const chunk = await Promise.race([reader.read(), idle]);
        if (chunk.done) {
          done();
          stream.close();
        } else stream.enqueue(chunk.value);
      } catch (error) {
        done();
        controller.abort(error);
        reader.cancel(error).catch(() => undefined);
        if (callerSignal?.aborted) stream.error(callerSignal.reason);
        else if (AuthError.is(error)) stream.error(error);
        else
          stream.error(
            new AuthError('upstream_unreachable', 'The connection closed before the response body ended.', {
              cause: error,
            }),
          );
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      done();
      controller.abort(reason);
      return reader.cancel(reason).catch(() => undefined);
    },
  });
}

function callerHeaders(init: HeadersInit | undefined): Headers {
  const headers = new Headers();
  if (init === undefined) return headers;
  const entries: Iterable<[string, unknown]> =
    init instanceof Headers
      ? init.entries()
      : Array.isArray(init)
        ? (init as [string, unknown][])
        : Object.entries(init);
  for (const [name, value] of entries) {
    if (typeof name !== 'string' || (typeof value !== 'string' && typeof value !== 'number')) {
      throw new AuthError(
        'invalid_header',
        `Header ${String(typeof name === 'string' ? name : '?')} must be a string, got ${typeof value}.`,
      );
    }
    const text = String(value);
    if (/[\r\n\0]/.test(text) || /[^\x21-\x7e]/.test(name)) {
      throw new AuthError(
        'invalid_header',
        `Header ${/[^\x21-\x7e]/.test(name) ? '(invalid name)' : name} has a line break or NUL in its value.`,
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
    if (text.length > 65_536) return false;
    const code = (JSON.parse(text) as { error?: { code?: unknown } })?.error?.code;
    return code === 'invalid_api_key';
  } catch {
    return false;
  }
}
