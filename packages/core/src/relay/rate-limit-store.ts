/** The answer of {@link RateLimitStore.hit}. */
export interface RateLimitDecision {
  allowed: boolean;
  /** When refused: how long until one more request fits. 0 when allowed. */
  retryAfterMs: number;
}

/**
 * Where the relay keeps per-principal rate and concurrency state. Async so that a shared store (Redis, a
 * Durable Object, a database) can implement it and several relay instances enforce one limit together; the
 * relay ships {@link createMemoryRateLimitStore} for a single instance.
 *
 * The relay fails closed: a store that throws makes the relay answer 503 `rate_limit_unavailable` (unless
 * `rateLimit.failOpen`). A store must therefore reject promptly when its backend is unreachable, never hang.
 *
 * @example
 * // A Redis store: `hit` is one Lua script (GCRA on one key), `acquire`/`release` a sorted set of leases
 * // scored by expiry, so leases of a crashed instance expire on their own.
 * const store: RateLimitStore = {
 *   hit: (key, windowMs, limit) => redis.evalsha(gcra, 1, key, windowMs, limit).then(toDecision),
 *   acquire: (key, max) => redis.evalsha(lease, 1, key, max, crypto.randomUUID()).then((id) => id ?? undefined),
 *   release: (key, lease) => redis.zrem(key, lease).then(() => undefined),
 * };
 */
export interface RateLimitStore {
  /**
   * Counts one request against `limit` requests per `windowMs` for `key`, smoothly: a full window's worth may
   * come at once, then one per `windowMs / limit`. A refused request is not counted.
   */
  hit(key: string, windowMs: number, limit: number): Promise<RateLimitDecision>;
  /**
   * Takes one of `max` concurrent slots for `key`: resolves to a lease to hand back to `release`, or
   * `undefined` when all slots are taken. A lease (not a bare counter) makes a double release harmless and
   * lets a shared store expire the slots of an instance that died.
   */
  acquire(key: string, max: number): Promise<string | undefined>;
  /** Gives a slot back. Unknown leases are ignored. */
  release(key: string, lease: string): Promise<void>;
}
