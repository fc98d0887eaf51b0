import { AuthError } from '../auth-error.ts';
import type { Credentials } from '../credentials.ts';
import { redactSecrets } from '../redact-secrets.ts';
import { checkOrigin } from './check-origin.ts';
import { compileRoutes } from './compile-routes.ts';
import { createMemoryRateLimitStore } from './create-memory-rate-limit-store.ts';
import { defaultRoutes } from './default-routes.ts';
import { describeUpstreamError, type UpstreamErrorInfo } from './describe-upstream-error.ts';
import { filterRequestHeaders, filterResponseHeaders } from './filter-headers.ts';
import { parseContentLength } from './parse-content-length.ts';
import { parseRelayPath } from './parse-relay-path.ts';
import { pipeUpstreamBody } from './pipe-upstream-body.ts';
import type { RateLimitDecision } from './rate-limit-store.ts';
import { readBodyBytes } from './read-body-bytes.ts';
import { pickRealtimeSecret, realtimeSecretRequest } from './realtime-client-secret.ts';
import { jsonResponse, type RelayErrorCode, relayErrorResponse, relayErrorStatus } from './relay-error.ts';
import type { RelayEvent, RelayEventError, RelayOptions, RelayPrincipal } from './relay-options.ts';
import { hasRetryAfter, retryAfterSeconds } from './retry-after-seconds.ts';

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

const MiB = 1024 * 1024;
// OpenAI's error bodies are a few hundred bytes; anything bigger is not one (an HTML page, a runaway proxy).
const errorBodyBytes = 64 * 1024;
// Timers take 32-bit milliseconds: a bigger value fires at once.
const maxTimerMs = 2_147_483_647;
const bodyMethods = new Set(['POST', 'PUT', 'PATCH']);
const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);
const requestIdPattern = /^[A-Za-z0-9_.:-]{1,128}$/;
const headerNamePattern = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
// Response headers a cross-origin page may read: what the SDKs look at.
const exposedHeaders = 'x-request-id, retry-after, openai-processing-ms';
const encoder = new TextEncoder();
const invalidJson: unique symbol = Symbol('invalid JSON');
const noop = () => undefined;

/** Per-request state. */
interface Exchange {
  readonly started: number;
  /** CORS and `Vary`, on every response of this request. */
  readonly headers: Record<string, string>;
  readonly event: Omit<RelayEvent, 'status' | 'durationMs'>;
}

/**
 * Creates the browser-facing relay: checks the app's session before reading the body, enforces the route,
 * origin, model, size and rate policy, strips everything the browser sent for auth, injects the server
 * credentials, and streams the answer back unbuffered. Upstream auth failures become a generic 502 (OpenAI's
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
  const { resolver, authorize, onEvent } = options;
  if (typeof resolver?.resolve !== 'function') throw new TypeError('createRelay: `resolver` is required.');
  if (typeof authorize !== 'function') {
    throw new TypeError(
      'createRelay: `authorize` is required: the app’s session check, returning { id } or null.',
    );
  }
  const mountPath = readMountPath(options.mountPath);
  const table = compileRoutes(options.routes ?? defaultRoutes);
  const origins = readOrigins(options.origins);
  const models = options.models === undefined ? undefined : new Set(options.models);
  const limits = options.limits ?? {};
  const maxBodyBytes = readLimit(limits.maxBodyBytes, MiB, 'limits.maxBodyBytes');
  const timeoutMs = Math.min(readLimit(limits.timeoutMs, 600_000, 'limits.timeoutMs'), maxTimerMs);
  const idleTimeoutMs = Math.min(
    readLimit(limits.idleTimeoutMs, 300_000, 'limits.idleTimeoutMs'),
    maxTimerMs,
  );
  const maxEventBytes = readLimit(limits.maxEventBytes, 8 * MiB, 'limits.maxEventBytes');
  const rate =
    options.rateLimit === false
      ? undefined
      : {
          perMinute: readLimit(options.rateLimit?.requestsPerMinute, 60, 'rateLimit.requestsPerMinute'),
          streams: Math.floor(
            readLimit(options.rateLimit?.maxConcurrentStreams, 4, 'rateLimit.maxConcurrentStreams'),
          ),
          store: options.rateLimit?.store ?? createMemoryRateLimitStore(),
          failOpen: options.rateLimit?.failOpen === true,
        };
  const fetchUpstream = options.fetch ?? ((url: string, init: RequestInit) => fetch(url, init));

  const resolveChecked = async (): Promise<Credentials> => {
    const credentials = await resolver.resolve();
    if (credentials.keyKind === 'admin') {
      throw new AuthError(
        'key_kind_not_allowed',
        `The relay refuses an admin key (from ${credentials.origins.apiKey ?? 'the resolver'}): admin keys are for ` +
          '/organization/* endpoints only; give the relay a project or service-account key.',
        { details: { kind: 'admin' } },
      );
    }
    return credentials;
  };

  const emit = (x: Exchange, status: number, error?: RelayEventError) => {
    if (onEvent === undefined) return;
    const event: RelayEvent = {
      ...x.event,
      status,
      durationMs: Math.round((performance.now() - x.started) * 100) / 100,
    };
    if (error !== undefined) event.error = error;
    try {
      const result: unknown = onEvent(event);
      // An async hook's rejection must not become an unhandled rejection in the server.
      if (result instanceof Promise) result.catch(noop);
    } catch {}
  };

  const refuse = (
    x: Exchange,
    code: RelayErrorCode,
    headers: Record<string, string> = {},
    error: RelayEventError = { code },
  ): Response => {
    emit(x, relayErrorStatus(code), error);
    return relayErrorResponse(code, { ...x.headers, ...headers });
  };

  const preflight = (
    x: Exchange,
    request: Request,
    segments: readonly string[],
    ownOrigin: string,
  ): Response => {
    const requested = request.headers.get('access-control-request-method');
    const match = table.match(requested ?? 'OPTIONS', segments);
    x.headers.vary = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
    if (match.kind === 'forbidden') return refuse(x, 'route_not_allowed');
    if (match.kind === 'none') return refuse(x, 'route_not_found');
    // OPTIONS is only ever a CORS preflight: without a requested method it matches no route, so it is 405.
    if (match.kind === 'method') return refuse(x, 'method_not_allowed', { allow: match.allow.join(', ') });
    const origin = request.headers.get('origin');
    const verdict = origin === null ? undefined : checkOrigin(request.headers, 'OPTIONS', ownOrigin, origins);
    if (!verdict?.allowed) return refuse(x, 'origin_not_allowed');
    const asked = (request.headers.get('access-control-request-headers') ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => headerNamePattern.test(name))
      .slice(0, 32);
    const headers: Record<string, string> = {
      ...x.headers,
      'access-control-allow-origin': origin!,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': match.route.method,
      'access-control-max-age': '600',
    };
    // Asked-for headers are allowed: whatever the browser sends, only the allowlist goes upstream.
    if (asked.length > 0) headers['access-control-allow-headers'] = asked.join(', ');
    emit(x, 204);
    return new Response(null, { status: 204, headers });
  };

  async function handle(request: Request): Promise<Response> {
    const method = request.method;
    const x: Exchange = { started: performance.now(), headers: { vary: 'Origin' }, event: { method } };
    const url = new URL(request.url);
    const path = parseRelayPath(url.pathname, mountPath);
    if (!path.ok) return refuse(x, path.reason === 'invalid' ? 'invalid_path' : 'route_not_found');
    if (method === 'OPTIONS') return preflight(x, request, path.segments, url.origin);
    const match = table.match(method, path.segments);
    if (match.kind === 'forbidden') return refuse(x, 'route_not_allowed');
    if (match.kind === 'none') return refuse(x, 'route_not_found');
    if (match.kind === 'method') return refuse(x, 'method_not_allowed', { allow: match.allow.join(', ') });
    const { route } = match;
    x.event.route = route.route;

    const verdict = checkOrigin(request.headers, method, url.origin, origins);
    if (!verdict.allowed) return refuse(x, verdict.code);
    if (verdict.origin !== undefined) {
      x.headers['access-control-allow-origin'] = verdict.origin;
      x.headers['access-control-allow-credentials'] = 'true';
      x.headers['access-control-expose-headers'] = exposedHeaders;
    }
    const length = parseContentLength(request.headers.get('content-length'));
    const hasBody = bodyMethods.has(method) && request.body !== null && length !== 0;
    if (hasBody && !isJson(request.headers.get('content-type'))) return refuse(x, 'unsupported_media_type');

    // The session first: nothing below (body, limits, credentials, upstream) is touched for a stranger.
    let principal: RelayPrincipal | null | undefined;
    try {
      principal = await authorize(request);
    } catch {
      return refuse(x, 'internal_error', {}, { code: 'authorize_failed', hint: 'authorize() threw.' });
    }
    if (principal === null || principal === undefined) return refuse(x, 'unauthorized');
    const id: unknown = principal.id;
    if (typeof id !== 'string' || id.length === 0 || id.length > 512) {
      return refuse(
        x,
        'relay_misconfigured',
        {},
        {
          code: 'invalid_principal',
          hint: 'authorize() must return { id: string } (1 to 512 characters) or null.',
        },
      );
    }
    x.event.principalId = id;

    if (length === 'invalid') return refuse(x, 'invalid_content_length');
    if (typeof length === 'number' && length > maxBodyBytes) return refuse(x, 'body_too_large');
    if (rate) {
      let decision: RateLimitDecision;
      try {
        decision = await rate.store.hit(`rpm:${id}`, 60_000, rate.perMinute);
      } catch {
        if (!rate.failOpen) return refuse(x, 'rate_limit_unavailable');
        decision = { allowed: true, retryAfterMs: 0 };
      }
      if (!decision.allowed) {
        return refuse(x, 'rate_limited', {
          'retry-after': String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))),
        });
      }
    }

    let credentials: Credentials;
    try {
      credentials = await resolveChecked();
    } catch (error) {
      const code = AuthError.is(error) ? error.code : 'credentials_unavailable';
      const hint = redactSecrets(String((error as Error)?.message ?? error));
      return refuse(
        x,
        code === 'key_kind_not_allowed' ? 'relay_misconfigured' : 'credentials_unavailable',
        {},
        { code, hint },
      );
    }

    let payload: Uint8Array<ArrayBuffer> | undefined;
    if (hasBody) {
      const body = await readBodyBytes(request.body!, maxBodyBytes, timeoutMs);
      if (!body.ok) {
        if (request.signal.aborted) return refuse(x, 'client_closed_request');
        const codes = {
          too_large: 'body_too_large',
          timeout: 'body_timeout',
          failed: 'invalid_body',
        } as const;
        return refuse(x, codes[body.reason]);
      }
      payload = body.bytes;
    }
    if (route.realtime) {
      const requested = payload === undefined || payload.byteLength === 0 ? {} : parseJson(payload);
      if (requested === invalidJson) return refuse(x, 'invalid_json');
      const built = realtimeSecretRequest(requested, models);
      if (!built.ok) return refuse(x, built.code);
      payload = encoder.encode(built.body);
    } else if (models !== undefined && payload !== undefined && payload.byteLength > 0) {
      const parsed = parseJson(payload);
      if (parsed === invalidJson) return refuse(x, 'invalid_json');
      const model = (parsed as { model?: unknown } | null)?.model;
      if (model !== undefined && !(typeof model === 'string' && models.has(model))) {
        return refuse(x, 'model_not_allowed');
      }
      // What was checked is what is sent: re-serialised, so a duplicate "model" key or other parser
      // differences between this runtime and the API cannot slip another model past the allowlist.
      payload = encoder.encode(JSON.stringify(parsed));
    }

    let lease: string | undefined;
    if (rate) {
      let unlimited = false;
      try {
        lease = await rate.store.acquire(`streams:${id}`, rate.streams);
      } catch {
        if (!rate.failOpen) return refuse(x, 'rate_limit_unavailable');
        // Fail-open: this request goes without a slot (and has none to release).
        unlimited = true;
      }
      if (lease === undefined && !unlimited) return refuse(x, 'too_many_streams', { 'retry-after': '1' });
    }

    // The upstream URL is the resolved base plus validated segments: never a URL resolved from the browser's.
    const target = `${credentials.baseURL}/${path.segments.join('/')}${url.search}`;
    let controller: AbortController | undefined;
    const onClientAbort = () => controller?.abort();
    request.signal.addEventListener('abort', onClientAbort, { once: true });
    let settled = false;
    let piped = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      request.signal.removeEventListener('abort', onClientAbort);
      // Through a promise chain: a custom store's release may throw or return nothing.
      if (rate && lease !== undefined) {
        const { store } = rate;
        Promise.resolve(lease)
          .then((held) => store.release(`streams:${id}`, held))
          .catch(noop);
      }
    };
    const forwarded = filterRequestHeaders(request.headers);
    if (payload !== undefined) forwarded['content-type'] = 'application/json';

    const send = async (current: Credentials): Promise<Response | RelayErrorCode> => {
      const attempt = new AbortController();
      controller = attempt;
      if (request.signal.aborted) return 'client_closed_request';
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        attempt.abort();
      }, timeoutMs);
      try {
        return await fetchUpstream(target, {
          method,
          headers: { ...forwarded, ...current.headers() },
          body: payload ?? null,
          redirect: 'manual',
          signal: attempt.signal,
        });
      } catch {
        if (request.signal.aborted) return 'client_closed_request';
        return timedOut ? 'upstream_timeout' : 'upstream_unreachable';
      } finally {
        clearTimeout(timer);
      }
    };

    const readText = async (response: Response): Promise<string | undefined> => {
      if (response.body === null) return '';
      const read = await readBodyBytes(response.body, errorBodyBytes, idleTimeoutMs);
      return read.ok ? new TextDecoder().decode(read.bytes) : undefined;
    };

    const answer = async (): Promise<Response> => {
      for (let attempt = 0; ; attempt++) {
        const upstream = await send(credentials);
        if (typeof upstream === 'string') return refuse(x, upstream);
        const { status, headers } = upstream;
        x.event.upstreamStatus = status;
        const requestId = headers.get('x-request-id');
        if (requestId !== null && requestIdPattern.test(requestId)) x.event.upstreamRequestId = requestId;
        const idHeader: Record<string, string> =
          x.event.upstreamRequestId === undefined ? {} : { 'x-request-id': x.event.upstreamRequestId };
        const failed = (
          code: RelayErrorCode,
          info: UpstreamErrorInfo,
          extra: Record<string, string> = {},
        ) => {
          const error: RelayEventError = { code };
          if (info.upstreamCode !== undefined) error.upstreamCode = info.upstreamCode;
          if (info.hint !== undefined) error.hint = info.hint;
          return refuse(x, code, { ...idHeader, ...extra }, error);
        };

        if (upstream.type === 'opaqueredirect' || (status >= 300 && status < 400)) {
          upstream.body?.cancel().catch(noop);
          return failed('upstream_redirect', {});
        }
        if (status === 401 || status === 403) {
          const info = describeUpstreamError(status, await readText(upstream));
          // A rotated key: reload once and retry once (the body is in memory, so the request is replayable).
          if (attempt === 0 && status === 401 && info.upstreamCode === 'invalid_api_key') {
            resolver.invalidate(credentials);
            const fresh = await resolveChecked().catch(() => undefined);
            if (fresh !== undefined && fresh.apiKey !== credentials.apiKey) {
              credentials = fresh;
              continue;
            }
          }
          return failed('upstream_auth_failed', info);
        }
        if (status === 429) {
          const info = describeUpstreamError(status, await readText(upstream));
          return failed('upstream_rate_limited', info, { 'retry-after': String(retryAfterSeconds(headers)) });
        }
        if (status >= 500) {
          const info = describeUpstreamError(status, await readText(upstream));
          return failed(
            'upstream_error',
            info,
            hasRetryAfter(headers) ? { 'retry-after': String(retryAfterSeconds(headers)) } : {},
          );
        }
        if (status >= 400) {
          const info = describeUpstreamError(status, await readText(upstream));
          if (info.body === undefined) return failed('upstream_invalid_response', info);
          const error: RelayEventError = { code: 'upstream_request_error' };
          if (info.upstreamCode !== undefined) error.upstreamCode = info.upstreamCode;
          emit(x, status, error);
          return jsonResponse(status, info.body, { ...x.headers, ...idHeader });
        }
        if (route.realtime) {
          const text = await readText(upstream);
          const secret = pickRealtimeSecret(parseJson(encoder.encode(text ?? '')));
          if (secret === undefined) return failed('upstream_invalid_response', {});
          emit(x, 200);
          return jsonResponse(200, secret, { ...x.headers, ...idHeader });
        }
        const contentType = headers.get('content-type') ?? '';
        const sse = /^text\/event-stream\b/i.test(contentType);
        const responseHeaders: Record<string, string> = {
          ...filterResponseHeaders(headers),
          ...x.headers,
          'cache-control': sse ? 'no-cache' : 'no-store',
          'x-content-type-options': 'nosniff',
        };
        if (sse) responseHeaders['x-accel-buffering'] = 'no';
        if (upstream.body === null || nullBodyStatuses.has(status)) {
          upstream.body?.cancel().catch(noop);
          emit(x, status);
          return new Response(null, { status, headers: responseHeaders });
        }
        x.event.stream = sse;
        const body = pipeUpstreamBody({
          body: upstream.body,
          sse,
          meter: onEvent !== undefined && (sse || /json/i.test(contentType)),
          idleTimeoutMs,
          maxEventBytes,
          abort: () => controller?.abort(),
          clientGone: () => request.signal.aborted,
          finish: (outcome) => {
            settle();
            if (outcome.usage !== undefined) x.event.usage = outcome.usage;
            const code =
              outcome.error ?? (outcome.streamError === undefined ? undefined : 'upstream_stream_error');
            const error: RelayEventError | undefined = code === undefined ? undefined : { code };
            if (error !== undefined && outcome.streamError !== undefined)
              error.upstreamCode = outcome.streamError;
            emit(x, status, error);
          },
        });
        // Settled by `finish` when the body is over; until then the slot stays taken and a disconnect aborts.
        piped = true;
        return new Response(body, { status, headers: responseHeaders });
      }
    };

    try {
      const response = await answer();
      if (!piped) settle();
      return response;
    } catch (error) {
      settle();
      throw error;
    }
  }

  const relay = async (request: Request): Promise<Response> => {
    try {
      return await handle(request);
    } catch {
      // A bug or a hostile input that slipped past every check: still JSON, still no detail.
      return relayErrorResponse('internal_error', { vary: 'Origin' });
    }
  };
  return Object.assign(relay, {
    async ready(): Promise<void> {
      await resolveChecked();
    },
  });
}

function isJson(contentType: string | null): boolean {
  return contentType !== null && contentType.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return invalidJson;
  }
}

function readLimit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`createRelay: ${name} must be a positive finite number.`);
  }
  return value;
}

function readMountPath(value: string | undefined): string {
  const path = (value ?? '').replace(/\/+$/, '');
  const segments = path.split('/').slice(1);
  if (
    path !== '' &&
    (!path.startsWith('/') || !segments.every((s) => /^[A-Za-z0-9._~-]+$/.test(s) && !/^\.+$/.test(s)))
  ) {
    throw new TypeError(
      `createRelay: mountPath "${value}" must look like /api/openai (no dots-only or encoded segments).`,
    );
  }
  return path;
}

function readOrigins(values: readonly string[] | undefined): ReadonlySet<string> {
  const origins = new Set<string>();
  for (const value of values ?? []) {
    let origin: string | undefined;
    try {
      origin = new URL(value).origin;
    } catch {}
    if (origin !== value || origin === 'null') {
      throw new TypeError(
        `createRelay: origin "${String(value)}" must be an exact origin such as https://app.example.com ` +
          '(scheme, host and port as the browser sends them; no path, no trailing slash, never *).',
      );
    }
    origins.add(origin);
  }
  return origins;
}
