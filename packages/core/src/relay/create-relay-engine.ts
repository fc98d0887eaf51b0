import { AuthError } from '../auth-error.ts';
import type { Credentials } from '../credentials.ts';
import { redactSecrets } from '../redact-secrets.ts';
import { checkOrigin } from './check-origin.ts';
import { compileRoutes } from './compile-routes.ts';
import { type BodyGuardOptions, type BodyOutcome, createBodyGuard } from './create-body-guard.ts';
import { createMemoryRateLimitStore } from './create-memory-rate-limit-store.ts';
import { defaultRoutes } from './default-routes.ts';
import { describeUpstreamError, type UpstreamErrorInfo } from './describe-upstream-error.ts';
import { filterRequestHeaders, filterResponseHeaders } from './filter-headers.ts';
import { parseContentLength } from './parse-content-length.ts';
import { parseJsonText } from './parse-json-text.ts';
import { parseRelayPath } from './parse-relay-path.ts';
import type { RateLimitDecision } from './rate-limit-store.ts';
import { pickRealtimeSecret, realtimeSecretRequest } from './realtime-client-secret.ts';
import { type RelayErrorCode, relayErrorBody, relayErrorStatus } from './relay-error.ts';
import type { RelayEvent, RelayEventError, RelayOptions, RelayPrincipal } from './relay-options.ts';
import type {
  RelayAbortSignal,
  RelayIncoming,
  RelayTransport,
  RelayUpstreamResponse,
} from './relay-transport.ts';
import { hasRetryAfter, retryAfterSeconds } from './retry-after-seconds.ts';

/**
 * The relay's whole policy with the I/O left to a {@link RelayTransport}: `createRelay` runs it over Fetch's
 * `Request`/`Response`; an adapter runs it over its runtime's own server and HTTP client, so the hot path builds
 * no `Request`, `Response` or Web stream (on Node: node:http in, undici out, bytes written straight through).
 */
export interface RelayEngine {
  /** Handles one request; resolves with what the transport's `reply`/`pipe` returned. */
  handle<R, U extends RelayUpstreamResponse>(
    incoming: RelayIncoming,
    transport: RelayTransport<R, U>,
  ): Promise<R>;
  /** Resolves and checks the server credentials (see `Relay.ready`). */
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
const json = {
  'content-type': 'application/json',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};
// Shared: a decode without `stream` starts afresh, even after one that threw.
const strictDecoder = new TextDecoder('utf-8', { fatal: true });
const noop = () => undefined;

/** Per-request state. */
interface Exchange {
  readonly started: number;
  /** CORS and `Vary`, on every response of this request. */
  readonly headers: Record<string, string>;
  readonly event: Omit<RelayEvent, 'status' | 'durationMs'>;
}

/**
 * Creates the relay's policy engine from {@link RelayOptions} for a transport: checks the options (a bad one
 * throws a `TypeError`: an allowlist entry that is not an API operation, any admin-key operation, a malformed
 * origin or limit). Apps use `createRelay`, or an adapter's `serveRelay`.
 *
 * @example
 * const engine = createRelayEngine({ resolver, authorize, mountPath: '/api/openai' });
 * await engine.ready();
 * const response = await engine.handle(incoming, transport);
 */
export function createRelayEngine(options: RelayOptions): RelayEngine {
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
    // The exchange's own event, finished in place (a request is reported once): no copy per request.
    const event = x.event as RelayEvent;
    event.status = status;
    event.durationMs = Math.round((performance.now() - x.started) * 100) / 100;
    if (error !== undefined) event.error = error;
    try {
      const result: unknown = onEvent(event);
      // An async hook's rejection must not become an unhandled rejection in the server.
      if (result instanceof Promise) result.catch(noop);
    } catch {}
  };

  const refuse = <R>(
    t: Pick<RelayTransport<R>, 'reply'>,
    x: Exchange,
    code: RelayErrorCode,
    headers: Record<string, string> = {},
    error: RelayEventError = { code },
  ): R => {
    emit(x, relayErrorStatus(code), error);
    return t.reply(
      relayErrorStatus(code),
      withHeaders(withHeaders(withHeaders({}, x.headers), headers), json),
      JSON.stringify(relayErrorBody(code)),
    );
  };

  const preflight = <R>(
    t: Pick<RelayTransport<R>, 'reply'>,
    x: Exchange,
    incoming: RelayIncoming,
    segments: readonly string[],
  ): R => {
    const requested = incoming.headers.get('access-control-request-method');
    const match = table.match(requested ?? 'OPTIONS', segments);
    x.headers.vary = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
    if (match.kind === 'forbidden') return refuse(t, x, 'route_not_allowed');
    if (match.kind === 'none') return refuse(t, x, 'route_not_found');
    // OPTIONS is only ever a CORS preflight: without a requested method it matches no route, so it is 405.
    if (match.kind === 'method') return refuse(t, x, 'method_not_allowed', { allow: match.allow.join(', ') });
    const origin = incoming.headers.get('origin');
    const verdict =
      origin === null ? undefined : checkOrigin(incoming.headers, 'OPTIONS', incoming.url.origin, origins);
    if (!verdict?.allowed) return refuse(t, x, 'origin_not_allowed');
    const asked = (incoming.headers.get('access-control-request-headers') ?? '')
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
    return t.reply(204, headers, null);
  };

  async function handle<R, U extends RelayUpstreamResponse>(
    incoming: RelayIncoming,
    t: RelayTransport<R, U>,
  ): Promise<R> {
    const method = incoming.method;
    const x: Exchange = { started: performance.now(), headers: { vary: 'Origin' }, event: { method } };
    const url = incoming.url;
    const path = parseRelayPath(url.pathname, mountPath);
    if (!path.ok) return refuse(t, x, path.reason === 'invalid' ? 'invalid_path' : 'route_not_found');
    if (method === 'OPTIONS') return preflight(t, x, incoming, path.segments);
    const match = table.match(method, path.segments);
    if (match.kind === 'forbidden') return refuse(t, x, 'route_not_allowed');
    if (match.kind === 'none') return refuse(t, x, 'route_not_found');
    if (match.kind === 'method') return refuse(t, x, 'method_not_allowed', { allow: match.allow.join(', ') });
    const { route } = match;
    x.event.route = route.route;

    const verdict = checkOrigin(incoming.headers, method, url.origin, origins);
    if (!verdict.allowed) return refuse(t, x, verdict.code);
    if (verdict.origin !== undefined) {
      x.headers['access-control-allow-origin'] = verdict.origin;
      x.headers['access-control-allow-credentials'] = 'true';
      x.headers['access-control-expose-headers'] = exposedHeaders;
    }
    const length = parseContentLength(incoming.headers.get('content-length'));
    const hasBody = bodyMethods.has(method) && incoming.hasBody && length !== 0;
    if (hasBody && !isJson(incoming.headers.get('content-type')))
      return refuse(t, x, 'unsupported_media_type');

    // The session first: nothing below (body, limits, credentials, upstream) is touched for a stranger.
    let principal: RelayPrincipal | null | undefined;
    try {
      const pending = authorize(incoming.toRequest());
      // A synchronous answer (a session map lookup) is taken as it is: no await, no microtask hop.
      principal = isThenable(pending) ? await pending : pending;
    } catch {
      return refuse(t, x, 'internal_error', {}, { code: 'authorize_failed', hint: 'authorize() threw.' });
    }
    if (principal === null || principal === undefined) return refuse(t, x, 'unauthorized');
    const id: unknown = principal.id;
    if (typeof id !== 'string' || id.length === 0 || id.length > 512) {
      return refuse(
        t,
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

    if (length === 'invalid') return refuse(t, x, 'invalid_content_length');
    if (typeof length === 'number' && length > maxBodyBytes) return refuse(t, x, 'body_too_large');
    let storeDown = false;
    if (rate) {
      let decision: RateLimitDecision;
      try {
        decision = await rate.store.hit(`rpm:${id}`, 60_000, rate.perMinute);
      } catch {
        if (!rate.failOpen) return refuse(t, x, 'rate_limit_unavailable');
        decision = { allowed: true, retryAfterMs: 0 };
        // Fail-open: the store just failed, so the slot check would only wait for it to fail again.
        storeDown = true;
      }
      if (!decision.allowed) {
        return refuse(t, x, 'rate_limited', {
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
        t,
        x,
        code === 'key_kind_not_allowed' ? 'relay_misconfigured' : 'credentials_unavailable',
        {},
        { code, hint },
      );
    }

    let payload: Uint8Array<ArrayBuffer> | undefined;
    if (hasBody) {
      const body = await incoming.readBody(maxBodyBytes, timeoutMs);
      if (!body.ok) {
        if (incoming.clientGone()) return refuse(t, x, 'client_closed_request');
        const codes = {
          too_large: 'body_too_large',
          timeout: 'body_timeout',
          failed: 'invalid_body',
        } as const;
        return refuse(t, x, codes[body.reason]);
      }
      payload = body.bytes;
    }
    if (route.realtime) {
      const requested = payload === undefined || payload.byteLength === 0 ? {} : parseJson(payload);
      if (requested === undefined) return refuse(t, x, 'invalid_json');
      const built = realtimeSecretRequest(requested, models);
      if (!built.ok) return refuse(t, x, built.code);
      payload = encoder.encode(built.body);
    } else if (models !== undefined && payload !== undefined && payload.byteLength > 0) {
      const text = decodeUtf8(payload);
      const parsed = text === undefined ? undefined : parseJsonText(text);
      if (text === undefined || parsed === undefined) return refuse(t, x, 'invalid_json');
      const model = (parsed as { model?: unknown } | null)?.model;
      if (model !== undefined && !(typeof model === 'string' && models.has(model))) {
        return refuse(t, x, 'model_not_allowed');
      }
      // What was checked is what is sent. The bytes as they came when no other parser can read another model in
      // them: "model" appears once (so no duplicate key) and no \u escape (the only other way to spell a key
      // "model"). Otherwise re-serialised, so a duplicate or escaped key cannot slip another model past the
      // allowlist. Sending the bytes keeps what JSON.parse would lose, such as the digits of a 19-digit seed.
      const at = text.indexOf('"model"');
      const bom = payload[0] === 0xef; // decoding dropped it; the API's parser may not
      if (bom || text.includes('\\u') || (at >= 0 && text.indexOf('"model"', at + 1) >= 0)) {
        payload = encoder.encode(JSON.stringify(parsed));
      }
    }

    let lease: string | undefined;
    if (rate && !storeDown) {
      let unlimited = false;
      try {
        lease = await rate.store.acquire(`streams:${id}`, rate.streams);
      } catch {
        if (!rate.failOpen) return refuse(t, x, 'rate_limit_unavailable');
        // Fail-open: this request goes without a slot (and has none to release).
        unlimited = true;
      }
      if (lease === undefined && !unlimited) return refuse(t, x, 'too_many_streams', { 'retry-after': '1' });
    }

    const forwarded = filterRequestHeaders(incoming.headers);
    if (payload !== undefined) forwarded['content-type'] = 'application/json';
    const forward = new Forward(
      x,
      incoming,
      t,
      route.realtime === true,
      // The resolved base plus validated segments: never a URL resolved from the browser's.
      `${credentials.baseURL}/${path.segments.join('/')}${url.search}`,
      forwarded,
      payload,
      credentials,
      id,
      lease,
    );
    try {
      const response = await forward.answer();
      if (!forward.piped) forward.settle();
      return response;
    } catch (error) {
      forward.settle();
      throw error;
    }
  }

  /**
   * The upstream half of one request: its state in one object and its steps as methods, so a request allocates
   * this, not a closure per step. It is also the body guard's options (`abort`, `clientGone`, `finish`).
   */
  class Forward<R, U extends RelayUpstreamResponse> implements BodyGuardOptions {
    sse = false;
    meter = false;
    readonly idleTimeoutMs = idleTimeoutMs;
    readonly maxEventBytes = maxEventBytes;
    piped = false;
    #settled = false;
    #controller: AbortLatch | undefined;
    readonly #unsubscribe: () => void;

    readonly #x: Exchange;
    readonly #incoming: RelayIncoming;
    readonly #t: RelayTransport<R, U>;
    readonly #realtime: boolean;
    readonly #target: string;
    readonly #forwarded: Record<string, string>;
    readonly #payload: Uint8Array<ArrayBuffer> | undefined;
    #credentials: Credentials;
    readonly #id: string;
    readonly #lease: string | undefined;

    constructor(
      x: Exchange,
      incoming: RelayIncoming,
      t: RelayTransport<R, U>,
      realtime: boolean,
      target: string,
      forwarded: Record<string, string>,
      payload: Uint8Array<ArrayBuffer> | undefined,
      credentials: Credentials,
      id: string,
      lease: string | undefined,
    ) {
      this.#x = x;
      this.#incoming = incoming;
      this.#t = t;
      this.#realtime = realtime;
      this.#target = target;
      this.#forwarded = forwarded;
      this.#payload = payload;
      this.#credentials = credentials;
      this.#id = id;
      this.#lease = lease;
      this.#unsubscribe = incoming.onClientGone(() => this.abort());
    }

    /** Once, however the request ends: the disconnect listener goes and the stream slot is given back. */
    settle(): void {
      if (this.#settled) return;
      this.#settled = true;
      this.#unsubscribe();
      if (rate && this.#lease !== undefined) {
        // A custom store's release may throw or return nothing: neither reaches the request.
        try {
          const released: unknown = rate.store.release(`streams:${this.#id}`, this.#lease);
          if (released instanceof Promise) released.catch(noop);
        } catch {}
      }
    }

    abort(): void {
      this.#controller?.abort();
    }

    clientGone(): boolean {
      return this.#incoming.clientGone();
    }

    /** The body is over: its usage and how it ended go into the event. */
    finish(outcome: BodyOutcome): void {
      this.settle();
      const x = this.#x;
      if (outcome.usage !== undefined) x.event.usage = outcome.usage;
      const code = outcome.error ?? (outcome.streamError === undefined ? undefined : 'upstream_stream_error');
      const error: RelayEventError | undefined = code === undefined ? undefined : { code };
      if (error !== undefined && outcome.streamError !== undefined) error.upstreamCode = outcome.streamError;
      emit(x, x.event.upstreamStatus!, error); // the status of the answer being piped
    }

    async send(current: Credentials): Promise<U | RelayErrorCode> {
      const attempt = new AbortLatch();
      this.#controller = attempt;
      const incoming = this.#incoming;
      if (incoming.clientGone()) return 'client_closed_request';
      const timer = setTimeout(abortLatch, timeoutMs, attempt);
      try {
        return await this.#t.send({
          url: this.#target,
          method: this.#x.event.method,
          headers: withHeaders(withHeaders({}, this.#forwarded), current.headers()),
          body: this.#payload,
          signal: attempt,
        });
      } catch {
        if (incoming.clientGone()) return 'client_closed_request';
        return attempt.timedOut ? 'upstream_timeout' : 'upstream_unreachable';
      } finally {
        clearTimeout(timer);
      }
    }

    /** A refusal for an upstream failure, with the upstream's request id and what it said about itself. */
    #fail(code: RelayErrorCode, info: UpstreamErrorInfo, retryAfter?: string): R {
      const error: RelayEventError = { code };
      if (info.upstreamCode !== undefined) error.upstreamCode = info.upstreamCode;
      if (info.hint !== undefined) error.hint = info.hint;
      const headers = this.#idHeader();
      if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
      return refuse(this.#t, this.#x, code, headers, error);
    }

    /** The upstream's request id, on every answer that comes from the upstream. */
    #idHeader(): Record<string, string> {
      const id = this.#x.event.upstreamRequestId;
      return id === undefined ? {} : { 'x-request-id': id };
    }

    #json(status: number, body: unknown, headers: Record<string, string>): R {
      return this.#t.reply(
        status,
        withHeaders(withHeaders(withHeaders({}, this.#x.headers), headers), json),
        JSON.stringify(body),
      );
    }

    async answer(): Promise<R> {
      const x = this.#x;
      const t = this.#t;
      for (let attempt = 0; ; attempt++) {
        const upstream = await this.send(this.#credentials);
        if (typeof upstream === 'string') return refuse(t, x, upstream);
        const { status, headers } = upstream;
        x.event.upstreamStatus = status;
        const requestId = headers.get('x-request-id');
        if (requestId !== null && requestIdPattern.test(requestId)) x.event.upstreamRequestId = requestId;

        if (status === 0 || (status >= 300 && status < 400)) {
          upstream.discard();
          return this.#fail('upstream_redirect', {});
        }
        if (status === 401 || status === 403) {
          const info = describeUpstreamError(status, await upstream.text(errorBodyBytes, idleTimeoutMs));
          // A rotated key: reload once and retry once (the body is in memory, so the request is replayable).
          if (attempt === 0 && status === 401 && info.upstreamCode === 'invalid_api_key') {
            const stale = this.#credentials;
            resolver.invalidate(stale);
            const fresh = await resolveChecked().catch(() => undefined);
            if (fresh !== undefined && fresh.apiKey !== stale.apiKey) {
              this.#credentials = fresh;
              continue;
            }
          }
          return this.#fail('upstream_auth_failed', info);
        }
        if (status === 429) {
          const info = describeUpstreamError(status, await upstream.text(errorBodyBytes, idleTimeoutMs));
          return this.#fail('upstream_rate_limited', info, String(retryAfterSeconds(headers)));
        }
        if (status >= 500) {
          const info = describeUpstreamError(status, await upstream.text(errorBodyBytes, idleTimeoutMs));
          return this.#fail(
            'upstream_error',
            info,
            hasRetryAfter(headers) ? String(retryAfterSeconds(headers)) : undefined,
          );
        }
        if (status >= 400) {
          const info = describeUpstreamError(status, await upstream.text(errorBodyBytes, idleTimeoutMs));
          if (info.body === undefined) return this.#fail('upstream_invalid_response', info);
          const error: RelayEventError = { code: 'upstream_request_error' };
          if (info.upstreamCode !== undefined) error.upstreamCode = info.upstreamCode;
          emit(x, status, error);
          return this.#json(status, info.body, this.#idHeader());
        }
        if (this.#realtime) {
          const text = await upstream.text(errorBodyBytes, idleTimeoutMs);
          const secret = pickRealtimeSecret(parseJson(encoder.encode(text ?? '')));
          if (secret === undefined) return this.#fail('upstream_invalid_response', {});
          emit(x, 200);
          return this.#json(200, secret, this.#idHeader());
        }
        const contentType = headers.get('content-type') ?? '';
        const sse = /^text\/event-stream\b/i.test(contentType);
        const responseHeaders = withHeaders(filterResponseHeaders(headers), x.headers);
        responseHeaders['cache-control'] = sse ? 'no-cache' : 'no-store';
        responseHeaders['x-content-type-options'] = 'nosniff';
        if (sse) responseHeaders['x-accel-buffering'] = 'no';
        if (nullBodyStatuses.has(status)) {
          upstream.discard();
          emit(x, status);
          return t.reply(status, responseHeaders, null);
        }
        x.event.stream = sse;
        this.sse = sse;
        this.meter = onEvent !== undefined && (sse || /json/i.test(contentType));
        // Settled by `finish` when the body is over; until then the slot stays taken and a disconnect aborts.
        this.piped = true;
        return t.pipe(status, responseHeaders, upstream, createBodyGuard(this));
      }
    }
  }

  return {
    handle,
    async ready(): Promise<void> {
      await resolveChecked();
    },
  };
}

/**
 * An abort signal without `EventTarget`: one per upstream attempt, where an `AbortController` costs more than
 * the rest of the request's policy (a transport that needs a real `AbortSignal`, as `fetch` does, makes one).
 */
class AbortLatch implements RelayAbortSignal {
  aborted = false;
  /** Aborted by the `timeoutMs` timer. */
  timedOut = false;
  #listeners: (() => void)[] | undefined;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const pending = this.#listeners;
    this.#listeners = undefined;
    for (const listener of pending ?? []) {
      try {
        listener();
      } catch {}
    }
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.#listeners === undefined) this.#listeners = [];
    this.#listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.#listeners?.indexOf(listener) ?? -1;
    if (at >= 0) this.#listeners!.splice(at, 1);
  }
}

/** The `timeoutMs` timer's callback: no closure per attempt. */
function abortLatch(latch: AbortLatch): void {
  latch.timedOut = true;
  latch.abort();
}

/**
 * Copies `source`'s headers onto `target` (a later one wins, as in a spread) and returns `target`. Not a spread:
 * V8 builds `{ ...a, ...b }` of two differently shaped objects on a slow path, which was about 1.8 KB of garbage
 * and a fifth of the engine's time per response.
 */
function withHeaders(target: Record<string, string>, source: Record<string, string>): Record<string, string> {
  for (const name in source) target[name] = source[name]!;
  return target;
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}

function isJson(contentType: string | null): boolean {
  return contentType !== null && contentType.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

function parseJson(bytes: Uint8Array): unknown {
  const text = decodeUtf8(bytes);
  return text === undefined ? undefined : parseJsonText(text);
}

/** The text of UTF-8 bytes; `undefined` for invalid UTF-8 (never replaced by U+FFFD). */
function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
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
