import type { RelayBodyGuard } from './create-body-guard.ts';
import type { BodyBytes } from './read-body-bytes.ts';

/** Header lookup by lower-case name, repeated fields joined with `, `: what `Headers.get` does. */
export interface RelayHeaders {
  get(name: string): string | null;
}

/** The parts of the request URL the relay reads; a `URL` has them all. */
export interface RelayURL {
  readonly href: string;
  /** Scheme, host and port as the app is reached: a browser's `Origin` is compared with it. */
  readonly origin: string;
  readonly pathname: string;
  /** `?` and the query, or `''` for none (as `URL.search`). */
  readonly search: string;
}

/**
 * A browser request as the relay's policy reads it, without a Fetch `Request`: a runtime's own server (Node's
 * `node:http`) provides these straight from its parser.
 */
export interface RelayIncoming {
  /** Upper-case, as sent. */
  readonly method: string;
  /** The request URL on the relay's own origin (scheme and host as the app is reached): a `URL`, or its parts. */
  readonly url: RelayURL;
  readonly headers: RelayHeaders;
  /** A body follows the headers (a non-zero `Content-Length`, or chunked). */
  readonly hasBody: boolean;
  /**
   * Reads the whole body, refusing more than `maxBytes` and a pause longer than `timeoutMs` (a transport may
   * bound a small body's whole read by `timeoutMs` instead). Called once.
   */
  readBody(maxBytes: number, timeoutMs: number): Promise<BodyBytes>;
  /** True once the client has gone away (a closed tab, an aborted fetch). */
  clientGone(): boolean;
  /** Calls `listener` once if the client goes away before the response ends; returns the unsubscribe. */
  onClientGone(listener: () => void): () => void;
  /** The request for the app's `authorize`: method, URL and headers (its body belongs to the relay). */
  toRequest(): Request;
}

/**
 * Aborts an upstream request: `addEventListener('abort', …)` and `aborted`, the part of `AbortSignal` that
 * undici (and most clients) accept.
 */
export interface RelayAbortSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** The upstream request the relay decided on: the API URL, the allowed headers plus the server credentials. */
export interface RelayUpstreamRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array<ArrayBuffer> | undefined;
  readonly signal: RelayAbortSignal;
}

/** The head of an upstream response, with its body still unread. */
export interface RelayUpstreamResponse {
  /** A redirect the client did not follow may have status 0 (Fetch's opaque redirect): any 3xx or 0 is one. */
  readonly status: number;
  readonly headers: RelayHeaders;
  /** The body as text, or `undefined` when it is over `maxBytes`, stalls past `idleTimeoutMs` or fails. */
  text(maxBytes: number, idleTimeoutMs: number): Promise<string | undefined>;
  /** Drops the body (the relay answers without it). */
  discard(): void;
}

/**
 * What a runtime provides to serve the relay's policy ({@link createRelayEngine}) on its own I/O: send upstream,
 * answer, and stream an upstream body to the client through the relay's {@link RelayBodyGuard}. `R` is what a
 * handled request returns (a `Response` for the Fetch transport, nothing for one that writes to a socket).
 */
export interface RelayTransport<R, U extends RelayUpstreamResponse = RelayUpstreamResponse> {
  /** Sends upstream; rejects when no response head arrives (refused, reset, aborted through `signal`). */
  send(request: RelayUpstreamRequest): Promise<U>;
  /** A complete answer, e.g. a refusal in OpenAI's JSON error shape. */
  reply(status: number, headers: Record<string, string>, body: string | null): R;
  /**
   * Streams `upstream`'s body to the client: every chunk through `guard.push`, stopping through `guard.fail`
   * on upstream silence past `guard.idleTimeoutMs`, an upstream read error (`guard.readFailure()`), the
   * client leaving, or `guard.failed`; `guard.end()` when the upstream body is complete.
   */
  pipe(status: number, headers: Record<string, string>, upstream: U, guard: RelayBodyGuard): R;
}
