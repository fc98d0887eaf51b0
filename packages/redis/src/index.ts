/**
 * `@auth/redis`: a Redis-backed `RateLimitStore` for the relay of `@auth/core/relay` (served by `serveRelay` of
 * `@auth/node`, `@auth/deno`, `@auth/bun`, or mounted in your own server). With it, every relay instance
 * enforces one per-principal limit together: requests per minute and concurrent streams are counted in Redis,
 * atomically, on Redis's clock. When Redis is down or stalls, each operation rejects within its deadline, so
 * the relay answers 503 `rate_limit_unavailable` at once (or serves without limits, with
 * `rateLimit: { failOpen: true }`), and it recovers within a second of Redis coming back.
 *
 * @example
 * import { createResolver, serveRelay } from '@auth/node';
 * import { createRedisRateLimitStore } from '@auth/redis';
 *
 * const store = createRedisRateLimitStore({ url: 'redis://127.0.0.1:6379' });
 * const relay = await serveRelay({
 *   resolver: createResolver(),
 *   authorize: (request) => sessions.principalOf(request), // { id } or null
 *   mountPath: '/api/openai',
 *   rateLimit: { store, requestsPerMinute: 30, maxConcurrentStreams: 2 },
 * });
 *
 * @module
 */

/**
 * Creates the Redis store, from a URL (it owns that client) or from your ioredis client (created with
 * `enableOfflineQueue: false`).
 *
 * @example
 * const store = createRedisRateLimitStore({ url: process.env.REDIS_URL, prefix: 'my-app:relay:' });
 * createRelay({ resolver, authorize, rateLimit: { store, requestsPerMinute: 60 } });
 * // on shutdown
 * await store.close();
 */
export {
  createRedisRateLimitStore,
  type RedisRateLimitStore,
  type RedisRateLimitStoreOptions,
} from './create-redis-rate-limit-store.ts';
