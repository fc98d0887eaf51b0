import type { RateLimitStore } from './rate-limit-store.ts';

/** Options of {@link createMemoryRateLimitStore}. */
export interface MemoryRateLimitStoreOptions {
  /** Most rate keys kept; past it, idle keys go first, then the least recently used. Default 100,000. */
  maxKeys?: number | undefined;
  /** The clock, for tests. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/** The in-memory store, with the number of keys it holds (for tests and metrics). */
export interface MemoryRateLimitStore extends RateLimitStore {
  /** Rate keys plus keys with slots taken. */
  readonly size: number;
}

/**
 * A {@link RateLimitStore} in this process's memory: right for one relay instance; several instances each
 * count on their own, so use a shared store there. Rates use GCRA (one number per key, no timestamp lists), a
 * key whose budget has fully refilled is forgotten, and the key count is capped, so memory stays bounded
 * however many principals come and go.
 *
 * @example
 * const relay = createRelay({ resolver, authorize, rateLimit: { store: createMemoryRateLimitStore() } });
 */
export function createMemoryRateLimitStore(options: MemoryRateLimitStoreOptions = {}): MemoryRateLimitStore {
  const maxKeys = options.maxKeys ?? 100_000;
  const now = options.now ?? Date.now;
  // key → the time at which its budget is fully refilled ("theoretical arrival time" in GCRA terms).
  const refilledAt = new Map<string, number>();
  const leases = new Map<string, Set<string>>();
  let nextLease = 0;
  let sweptAt = now();

  const sweep = (time: number) => {
    sweptAt = time;
    for (const [key, at] of refilledAt) if (at <= time) refilledAt.delete(key);
    // Still too many live keys: drop the least recently used (a Map iterates in insertion order, and every
    // hit re-inserts its key). Such a principal starts over with a full budget, the only way to stay bounded.
    for (const key of refilledAt.keys()) {
      if (refilledAt.size <= maxKeys) break;
      refilledAt.delete(key);
    }
  };

  return {
    get size() {
      return refilledAt.size + leases.size;
    },
    async hit(key, windowMs, limit) {
      const time = now();
      const interval = windowMs / limit;
      const next = Math.max(refilledAt.get(key) ?? time, time) + interval;
      const allowedAt = next - windowMs;
      if (allowedAt > time) return { allowed: false, retryAfterMs: Math.ceil(allowedAt - time) };
      refilledAt.delete(key);
      refilledAt.set(key, next);
      // Sweeping once per window keeps the cost amortised: each key is looked at about once per window or so.
      if (refilledAt.size > maxKeys || time - sweptAt >= windowMs) sweep(time);
      return { allowed: true, retryAfterMs: 0 };
    },
    async acquire(key, max) {
      const held = leases.get(key) ?? new Set<string>();
      if (held.size >= max) return undefined;
      const lease = String(++nextLease);
      held.add(lease);
      leases.set(key, held);
      return lease;
    },
    async release(key, lease) {
      const held = leases.get(key);
      if (held === undefined) return;
      held.delete(lease);
      if (held.size === 0) leases.delete(key);
    },
  };
}
