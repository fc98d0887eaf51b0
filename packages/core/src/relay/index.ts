/**
 * The browser relay of `@auth/core`: a Web-standard `(request: Request) => Promise<Response>` that lets a
 * browser use the OpenAI API through the app's own backend without ever holding a key. It checks the app's
 * session before reading the body, enforces route, origin, model, size and per-principal rate limits, strips
 * every credential the browser sent, injects the server's, streams answers back unbuffered (a small JSON answer
 * whose length the API declared is read whole first) and mints Realtime `ek_` secrets. Runs as is on Hono,
 * Next.js route handlers, Deno's and Bun's `serve`, and Workers; the adapters' `serveRelay` serves it on the
 * runtime's own server.
 *
 * @example
 * import { createRelay } from '@auth/core/relay';
 *
 * const relay = createRelay({ resolver, authorize: (request) => sessions.principalOf(request), mountPath: '/api/openai' });
 * await relay.ready();
 * export default { fetch: relay }; // a Worker's (or Bun's) fetch handler
 *
 * @module
 */

export type { BodyOutcome, RelayBodyGuard } from './create-body-guard.ts';
/**
 * The in-memory rate-limit store (one instance; bounded memory).
 *
 * @example
 * const store = createMemoryRateLimitStore({ maxKeys: 10_000 });
 * createRelay({ resolver, authorize, rateLimit: { requestsPerMinute: 30, store } });
 */
export {
  createMemoryRateLimitStore,
  type MemoryRateLimitStore,
  type MemoryRateLimitStoreOptions,
} from './create-memory-rate-limit-store.ts';
/**
 * Creates the relay handler.
 *
 * @example
 * const relay = createRelay({ resolver, authorize: async (request) => (await auth(request)) ?? null });
 * export const POST = relay; // Next.js app/api/openai/[...path]/route.ts (with mountPath: '/api/openai')
 */
export { createRelay, type Relay } from './create-relay.ts';
/**
 * The relay's policy with the I/O left to a transport, for adapters that serve it on their runtime's own
 * server and HTTP client (no `Request`/`Response` on the hot path), and the transport's contract. Apps use
 * `createRelay` or an adapter's `serveRelay`.
 *
 * @example
 * const engine = createRelayEngine({ resolver, authorize, mountPath: '/api/openai' });
 * await engine.ready();
 * await engine.handle(incoming, transport); // see RelayTransport
 */
export { createRelayEngine, type RelayEngine } from './create-relay-engine.ts';
/**
 * The default allowlist, to extend rather than retype.
 *
 * @example
 * createRelay({ resolver, authorize, routes: [...defaultRoutes, 'POST /images/generations'] });
 */
export { defaultRoutes } from './default-routes.ts';
/**
 * The contract of a shared rate-limit store (Redis and the like).
 *
 * @example
 * const store: RateLimitStore = { hit: …, acquire: …, release: … };
 */
export type { RateLimitDecision, RateLimitStore } from './rate-limit-store.ts';
export type { BodyBytes } from './read-body-bytes.ts';
/**
 * The relay's error codes and body shape, for servers that answer in the same shape (e.g. a framing error
 * `serveRelay` refuses before a `Request` exists).
 *
 * @example
 * new Response(JSON.stringify(relayErrorBody('method_not_allowed')), { status: 405 });
 */
export { type RelayErrorBody, type RelayErrorCode, relayErrorBody } from './relay-error.ts';
/**
 * The relay's options and event types.
 *
 * @example
 * const onEvent = (event: RelayEvent) => metrics.record(event.principalId, event.usage?.totalTokens ?? 0);
 */
export type {
  RelayAuthorize,
  RelayEvent,
  RelayEventError,
  RelayFetch,
  RelayLimits,
  RelayMethod,
  RelayOptions,
  RelayPrincipal,
  RelayRateLimit,
  RelayRoute,
  RelayUsage,
} from './relay-options.ts';
export type {
  RelayAbortSignal,
  RelayHeaders,
  RelayIncoming,
  RelayTransport,
  RelayUpstreamRequest,
  RelayUpstreamResponse,
  RelayURL,
} from './relay-transport.ts';
