import type { CredentialResolver } from '../create-resolver.ts';
import type { RateLimitStore } from './rate-limit-store.ts';
import type { RelayErrorCode } from './relay-error.ts';

/** Methods a relay route can have. */
export type RelayMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One allowlist entry: a method and an OpenAI API path template, e.g. `'GET /models/{model}'`. */
export type RelayRoute = `${RelayMethod} /${string}`;

/** Who a request is for, as the app's own session says. `id` keys rate limits and shows in events. */
export interface RelayPrincipal {
  readonly id: string;
}

/** The app's session check: a principal, or `null`/`undefined` for "not signed in". */
export type RelayAuthorize = (
  request: Request,
) => RelayPrincipal | null | undefined | Promise<RelayPrincipal | null | undefined>;

/** The `fetch` the relay sends upstream with; adapters pass their runtime's fastest client. */
export type RelayFetch = (url: string, init: RequestInit) => Promise<Response>;

/** Resource bounds of each request. */
export interface RelayLimits {
  /** Largest request body read; bigger ones get 413 before any upstream call. Default 1 MiB. */
  maxBodyBytes?: number | undefined;
  /**
   * Time allowed until the upstream response headers arrive, then 504; also the longest pause allowed while
   * reading the request body (under `createRelay`, a body of at most 64 KiB with a declared length must arrive
   * whole within it). Default 600 s (the SDKs' own timeout).
   */
  timeoutMs?: number | undefined;
  /** Longest upstream silence while reading a response body. Default 300 s. */
  idleTimeoutMs?: number | undefined;
  /** Largest single SSE event passed through; a bigger one ends the stream with an error event. Default 8 MiB. */
  maxEventBytes?: number | undefined;
}

/** Per-principal limits. */
export interface RelayRateLimit {
  /** Requests per minute per principal (a burst of this many, then one every 60/n s). Default 60. */
  requestsPerMinute?: number | undefined;
  /**
   * Requests in flight upstream at once per principal; a request holds its slot until its response body ends,
   * so SSE streams are what this mostly counts. Default 4.
   */
  maxConcurrentStreams?: number | undefined;
  /** Where counts live. Default: one in-memory store per relay. Use a shared store for several instances. */
  store?: RateLimitStore | undefined;
  /**
   * What to do when the store fails (a shared store that is down or slow to answer). Default `false`: fail
   * closed, every request gets 503 `rate_limit_unavailable` until the store answers again. `true`: serve
   * without limits meanwhile (availability over abuse protection).
   */
  failOpen?: boolean | undefined;
}

/**
 * Token usage as the API reported it, in the Responses API's terms: a JSON answer's top-level `usage` (past
 * 1 MiB, read from the last 64 KiB), or the usage an SSE stream reports in its final events.
 */
export interface RelayUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
}

/** What went wrong, for the server's log only. */
export interface RelayEventError {
  /**
   * A {@link RelayErrorCode}, `authorize_failed`, `invalid_principal`, or the resolver's `AuthError` code
   * (`key_kind_not_allowed`, `provider_timeout`, …).
   */
  code: string;
  /** OpenAI's `error.code` (e.g. `invalid_api_key`, `mismatched_project`) when the API refused. */
  upstreamCode?: string;
  /** What to do about it. Never holds a key or OpenAI's message text. */
  hint?: string;
}

/**
 * One relayed (or refused) request, reported when it is over: after the last byte of a stream. Holds no
 * secret: no header value, no body, no key, no OpenAI error text.
 */
export interface RelayEvent {
  /** Absent when the request was refused before `authorize` said who it was. */
  principalId?: string;
  method: string;
  /** The allowlist entry that matched. */
  route?: RelayRoute;
  /** What the browser got. */
  status: number;
  durationMs: number;
  /** True for a `text/event-stream` response. */
  stream?: boolean;
  upstreamStatus?: number;
  /** OpenAI's `x-request-id`, to quote to OpenAI support. */
  upstreamRequestId?: string;
  /** From the JSON body, or from the last SSE event that carried usage. */
  usage?: RelayUsage;
  error?: RelayEventError;
}

/** Options of `createRelay`. */
export interface RelayOptions {
  /** Server credentials. Its `baseURL` is the one upstream; the browser never picks a host. */
  resolver: CredentialResolver;
  /**
   * The app's session check, called before the body is read. It must not read the body itself: a transport
   * that is not Fetch-based (Node's `serveRelay`) hands it a `Request` with method, URL and headers only.
   */
  authorize: RelayAuthorize;
  /** Where the relay is mounted, e.g. `'/api/openai'`: `<mountPath>/chat/completions` goes to `<baseURL>/chat/completions`. Default `''`. */
  mountPath?: string | undefined;
  /**
   * The allowlist, checked against OpenAI's OpenAPI spec at creation: unknown operations and admin-key
   * operations (`/organization/*`, `/projects/{id}/roles`) throw. Default {@link defaultRoutes}.
   */
  routes?: readonly RelayRoute[] | undefined;
  /** When set, a JSON body naming another `model` gets 403 (so does a Realtime `session.model`). */
  models?: readonly string[] | undefined;
  /** Browser origins allowed besides the relay's own, exactly as `new URL(o).origin` prints them. */
  origins?: readonly string[] | undefined;
  limits?: RelayLimits | undefined;
  /** Per-principal limits; `false` turns them off (e.g. when a gateway in front already limits). */
  rateLimit?: RelayRateLimit | false | undefined;
  /** Called once per request when it is over; exceptions in it are ignored. */
  onEvent?: ((event: RelayEvent) => void) | undefined;
  /** Default: the global `fetch`. */
  fetch?: RelayFetch | undefined;
}
