import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createRedisRateLimitStore,
  type RedisRateLimitStoreOptions,
} from './create-redis-rate-limit-store.ts';
import { type RedisServer, startRedisServer } from './testing/start-redis-server.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a promise takes to settle, and how. */
async function timed<T>(promise: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = performance.now();
  try {
    const value = await promise;
    return { ms: performance.now() - started, value };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

/** Polls `attempt` every 20 ms until it resolves to true; at most `limitMs`. Resolves to the time it took. */
async function until(attempt: () => Promise<boolean>, limitMs: number): Promise<number> {
  const started = performance.now();
  for (let tries = 0; tries < Math.ceil(limitMs / 20) + 1; tries++) {
    if (await attempt().catch(() => false)) return performance.now() - started;
    if (performance.now() - started > limitMs) break;
    await sleep(20);
  }
  throw new Error(`not within ${limitMs} ms`);
}

describe('createRedisRateLimitStore against a real redis-server', () => {
  let redis: RedisServer;
  let inspect: Redis;
  let prefix: string;
  const stores: { close(): Promise<void> }[] = [];
  const open = (options: Partial<RedisRateLimitStoreOptions> = {}) => {
    const store = createRedisRateLimitStore({ url: redis.url, prefix, ...options });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    inspect = new Redis(redis.url, { enableOfflineQueue: false, lazyConnect: true });
    await inspect.connect();
  });
  afterAll(async () => {
    inspect?.disconnect();
    await redis?.stop();
  });
  beforeEach(() => {
    // Each test on its own keys, so that no count carries over.
    prefix = `test-${randomUUID()}:`;
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  it('a burst of `limit`, then refused with the time until one more fits; keys are independent', async () => {
    const store = open();
    for (let i = 0; i < 6; i++)
      expect(await store.hit('a', 60_000, 6)).toEqual({ allowed: true, retryAfterMs: 0 });
    const refused = await store.hit('a', 60_000, 6);
    expect(refused.allowed).toBe(false);
    // One every 60/6 s: the next fits 10 s after the burst began, less the few ms the burst took.
    expect(refused.retryAfterMs).toBeGreaterThan(9_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(10_000);
    expect((await store.hit('b', 60_000, 6)).allowed).toBe(true);
  });

  it('refills one request per window/limit, and refused requests are not counted', async () => {
    // One every 500 ms: wide enough that a late timer on a busy machine does not refill a second one.
    const store = open();
    for (let i = 0; i < 6; i++) expect((await store.hit('a', 3_000, 6)).allowed).toBe(true);
    const refused = await store.hit('a', 3_000, 6);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(500);
    // Hammering while refused must not push the next slot back (counted, these would add 5 s).
    for (let i = 0; i < 10; i++) expect((await store.hit('a', 3_000, 6)).allowed).toBe(false);
    await sleep(refused.retryAfterMs + 10);
    expect(await store.hit('a', 3_000, 6)).toEqual({ allowed: true, retryAfterMs: 0 });
    const next = await store.hit('a', 3_000, 6);
    expect(next.allowed).toBe(false);
    expect(next.retryAfterMs).toBeGreaterThan(0);
    expect(next.retryAfterMs).toBeLessThanOrEqual(500);
  });

  it("decides on Redis's clock: instances whose clocks are an hour apart agree", async () => {
    const [onTime, ahead, behind] = [open(), open(), open()];
    const realNow = Date.now.bind(Date);
    const skewed = async <T>(offsetMs: number, run: () => Promise<T>): Promise<T> => {
      const spy = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + offsetMs);
      try {
        return await run();
      } finally {
        spy.mockRestore();
      }
    };
    for (let i = 0; i < 6; i++) expect((await onTime.hit('a', 60_000, 6)).allowed).toBe(true);
    // A clock an hour ahead would think the budget refilled long ago; one behind would wait an extra hour.
    for (const [store, offset] of [
      [ahead, 3_600_000],
      [behind, -3_600_000],
    ] as const) {
      const decision = await skewed(offset, () => store.hit('a', 60_000, 6));
      expect(decision.allowed).toBe(false);
      expect(decision.retryAfterMs).toBeGreaterThan(9_000);
      expect(decision.retryAfterMs).toBeLessThanOrEqual(10_000);
    }
  });

  it('concurrent slots: leases, a double release is harmless, unknown leases are ignored', async () => {
    const store = open();
    const first = await store.acquire('a', 2);
    const second = await store.acquire('a', 2);
    expect(first).toEqual(expect.any(String));
    expect(second).toEqual(expect.any(String));
    expect(second).not.toBe(first);
    expect(await store.acquire('a', 2)).toBeUndefined();
    expect(await store.acquire('b', 2)).toEqual(expect.any(String));
    await store.release('a', 'not-a-lease');
    await store.release('nobody', first!);
    expect(await store.acquire('a', 2)).toBeUndefined();
    await store.release('a', first!);
    await store.release('a', first!);
    expect(await store.acquire('a', 2)).toEqual(expect.any(String));
    expect(await store.acquire('a', 2)).toBeUndefined();
    expect(await store.acquire('a', 0)).toBeUndefined();
  });

  it("leases expire on their own after leaseTtlMs: a crashed instance's slots come back", async () => {
    const crashed = open({ leaseTtlMs: 300 });
    const survivor = open({ leaseTtlMs: 300 });
    expect(await crashed.acquire('s', 1)).toEqual(expect.any(String));
    await crashed.close(); // never released
    expect(await survivor.acquire('s', 1)).toBeUndefined();
    const pttl = await inspect.pttl(`${prefix}s`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(300);
    await sleep(320);
    expect(await survivor.acquire('s', 1)).toEqual(expect.any(String));
  });

  it('many concurrent callers on four instances never get more than `max` slots or `limit` requests', async () => {
    const instances = [open(), open(), open(), open()];
    const leases = await Promise.all(
      Array.from({ length: 200 }, (_, i) => instances[i % instances.length]!.acquire('c', 5)),
    );
    const taken = leases.filter((lease): lease is string => lease !== undefined);
    expect(taken).toHaveLength(5);
    expect(new Set(taken).size).toBe(5);
    expect(await inspect.zcard(`${prefix}c`)).toBe(5);
    // Released through other instances than the ones that took them: leases belong to the key, not the client.
    await Promise.all(taken.map((lease, i) => instances[(i + 1) % instances.length]!.release('c', lease)));
    expect(await inspect.exists(`${prefix}c`)).toBe(0);

    const decisions = await Promise.all(
      Array.from({ length: 200 }, (_, i) => instances[i % instances.length]!.hit('r', 60_000, 20)),
    );
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(20);
  });

  it('two instances on one Redis share their counts', async () => {
    const [a, b] = [open(), open()];
    for (let i = 0; i < 3; i++) expect((await a.hit('p', 60_000, 6)).allowed).toBe(true);
    for (let i = 0; i < 3; i++) expect((await b.hit('p', 60_000, 6)).allowed).toBe(true);
    expect((await a.hit('p', 60_000, 6)).allowed).toBe(false);
    expect((await b.hit('p', 60_000, 6)).allowed).toBe(false);
    const lease = await a.acquire('q', 2);
    expect(await b.acquire('q', 2)).toEqual(expect.any(String));
    expect(await a.acquire('q', 2)).toBeUndefined();
    await b.release('q', lease!);
    expect(await a.acquire('q', 2)).toEqual(expect.any(String));
  });

  it('keeps every key under its prefix, each with an expiry, and forgets released slot sets', async () => {
    const store = open({ leaseTtlMs: 5_000 });
    await store.hit('rpm:alice', 60_000, 6);
    const lease = await store.acquire('streams:alice', 2);
    expect((await inspect.keys(`${prefix}*`)).sort()).toEqual([
      `${prefix}rpm:alice`,
      `${prefix}streams:alice`,
    ]);
    expect(await inspect.keys('rpm:*')).toEqual([]);
    // The rate key lives only until the budget is full again: one interval after a single request.
    const ratePttl = await inspect.pttl(`${prefix}rpm:alice`);
    expect(ratePttl).toBeGreaterThan(9_000);
    expect(ratePttl).toBeLessThanOrEqual(10_000);
    const leasePttl = await inspect.pttl(`${prefix}streams:alice`);
    expect(leasePttl).toBeGreaterThan(4_000);
    expect(leasePttl).toBeLessThanOrEqual(5_000);
    await store.release('streams:alice', lease!);
    expect(await inspect.exists(`${prefix}streams:alice`)).toBe(0);
  });

  it('the default prefix is openai-relay:', async () => {
    const store = createRedisRateLimitStore({ url: redis.url });
    stores.push(store);
    const key = `rpm:${randomUUID()}`;
    await store.hit(key, 60_000, 6);
    expect(await inspect.exists(`openai-relay:${key}`)).toBe(1);
  });

  it('uses a client you pass (lazy too) and leaves it open; closes the one it made from a URL', async () => {
    const yours = new Redis(redis.url, { enableOfflineQueue: false, lazyConnect: true });
    try {
      const store = createRedisRateLimitStore({ client: yours, prefix });
      expect(await store.hit('a', 60_000, 1)).toEqual({ allowed: true, retryAfterMs: 0 });
      expect(await store.acquire('s', 1)).toEqual(expect.any(String));
      await store.close();
      expect(yours.status).toBe('ready');
      expect(await yours.ping()).toBe('PONG');
    } finally {
      yours.disconnect();
    }

    const owned = createRedisRateLimitStore({ url: redis.url, prefix });
    expect((await owned.hit('b', 60_000, 1)).allowed).toBe(true);
    await owned.close();
    await owned.close();
    const after = await timed(owned.hit('b', 60_000, 1));
    expect(after.error).toBeInstanceOf(Error);
    expect(after.ms).toBeLessThan(100);
  });

  it('answers the same through a RESP2 client that reads numbers as strings', async () => {
    const resp2 = new Redis(redis.url, { enableOfflineQueue: false, protocol: 2, stringNumbers: true });
    try {
      const store = createRedisRateLimitStore({ client: resp2, prefix });
      expect(await store.hit('a', 60_000, 1)).toEqual({ allowed: true, retryAfterMs: 0 });
      const refused = await store.hit('a', 60_000, 1);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toEqual(expect.any(Number));
      expect(refused.retryAfterMs).toBeGreaterThan(59_000);
      expect(await store.acquire('s', 1)).toEqual(expect.any(String));
      expect(await store.acquire('s', 1)).toBeUndefined();
    } finally {
      resp2.disconnect();
    }
  });

  it('refuses options that would hang or make no sense', async () => {
    const queueing = new Redis(redis.url, { lazyConnect: true });
    try {
      expect(() => createRedisRateLimitStore({ client: queueing })).toThrow(/enableOfflineQueue: false/);
    } finally {
      queueing.disconnect();
    }
    const fine = new Redis(redis.url, { enableOfflineQueue: false, lazyConnect: true });
    try {
      expect(() => createRedisRateLimitStore({ client: fine, url: redis.url })).toThrow(TypeError);
    } finally {
      fine.disconnect();
    }
    expect(() => createRedisRateLimitStore({})).toThrow(TypeError);
    expect(() => createRedisRateLimitStore({ client: {} as Redis })).toThrow(TypeError);
    expect(() => createRedisRateLimitStore({ url: redis.url, leaseTtlMs: 0 })).toThrow(TypeError);
    expect(() => createRedisRateLimitStore({ url: redis.url, commandTimeoutMs: Number.NaN })).toThrow(
      TypeError,
    );
    const store = open();
    await expect(store.hit('a', 60_000, 0)).rejects.toThrow(TypeError);
    await expect(store.hit('', 60_000, 1)).rejects.toThrow(TypeError);
    await expect(store.acquire('a', Number.NaN)).rejects.toThrow(TypeError);
  });
});

describe('createRedisRateLimitStore when Redis fails', () => {
  let redis: RedisServer;
  const stores: { close(): Promise<void> }[] = [];
  const open = (options: Partial<RedisRateLimitStoreOptions> = {}) => {
    const store = createRedisRateLimitStore({ url: redis.url, prefix: `test-${randomUUID()}:`, ...options });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('stalled (SIGSTOP): every operation rejects at its deadline, none hangs; resumed: answers again', async () => {
    const store = open({ commandTimeoutMs: 300 });
    const lease = await store.acquire('s', 5);
    redis.pause();
    let outcomes: Awaited<ReturnType<typeof timed>>[];
    try {
      outcomes = await Promise.all([
        timed(store.hit('r', 60_000, 5)),
        timed(store.acquire('s', 5)),
        timed(store.release('s', lease!)),
      ]);
    } finally {
      redis.resume();
    }
    for (const outcome of outcomes) {
      expect(outcome.error).toBeInstanceOf(Error);
      expect(String((outcome.error as Error).message)).toMatch(/within 300 ms/);
      expect(outcome.ms).toBeGreaterThanOrEqual(290);
      expect(outcome.ms).toBeLessThan(800);
    }
    const recovered = await until(async () => (await store.hit('r', 60_000, 5)).allowed, 1_500);
    console.info(
      `[measured] stalled Redis: rejected after ${Math.max(...outcomes.map((o) => o.ms)).toFixed(0)} ms; answering ${recovered.toFixed(0)} ms after SIGCONT`,
    );
  });

  it('an acquire that Redis carries out after its deadline gives its slot back', async () => {
    const prefix = `test-${randomUUID()}:`;
    const late = open({ commandTimeoutMs: 300, leaseTtlMs: 60_000, prefix });
    const other = open({ leaseTtlMs: 60_000, prefix });
    expect(await late.hit('warm', 60_000, 5)).toMatchObject({ allowed: true });
    redis.pause();
    let outcome: Awaited<ReturnType<typeof timed>>;
    try {
      outcome = await timed(late.acquire('s', 1));
    } finally {
      redis.resume();
    }
    expect(outcome.error).toBeInstanceOf(Error);
    // The script ran once Redis resumed and took the only slot; without the give-back it would stay taken
    // for the whole minute of the TTL.
    const freed = await until(async () => (await other.acquire('s', 1)) !== undefined, 1_000);
    console.info(`[measured] slot of a late acquire given back ${freed.toFixed(0)} ms after SIGCONT`);
  });

  it('killed: operations reject at once; restarted on the same port: answering again within 1 s', async () => {
    const store = open();
    expect((await store.hit('r', 60_000, 5)).allowed).toBe(true);
    await redis.kill();
    const down = await Promise.all([
      timed(store.hit('r', 60_000, 5)),
      timed(store.acquire('s', 1)),
      timed(store.release('s', 'x')),
    ]);
    for (const outcome of down) {
      expect(outcome.error).toBeInstanceOf(Error);
      expect(outcome.ms).toBeLessThan(500);
    }
    await redis.start();
    const recovered = await until(async () => (await store.hit('r', 60_000, 5)).allowed, 1_000);
    expect(recovered).toBeLessThan(1_000);
    console.info(
      `[measured] killed Redis: rejected within ${Math.max(...down.map((o) => o.ms)).toFixed(1)} ms; answering ${recovered.toFixed(0)} ms after restart`,
    );
  });

  it('started before Redis: rejects at the deadline while it is away, then waits for the first connection', async () => {
    await redis.kill();
    const prefix = `test-${randomUUID()}:`;
    const early = open({ commandTimeoutMs: 400, prefix });
    const away = await timed(early.hit('r', 60_000, 5));
    expect(away.error).toBeInstanceOf(Error);
    expect(away.ms).toBeGreaterThanOrEqual(390);
    expect(away.ms).toBeLessThan(900);

    const starting = open({ commandTimeoutMs: 1_500, prefix });
    const first = timed(starting.hit('r', 60_000, 5));
    await sleep(100);
    await redis.start();
    const outcome = await first;
    expect(outcome.error).toBeUndefined();
    expect(outcome.value).toEqual({ allowed: true, retryAfterMs: 0 });
    // The request that timed out while Redis was away was not sent later: it did not count.
    expect(await early.hit('r', 60_000, 5)).toEqual({ allowed: true, retryAfterMs: 0 });
    for (let i = 0; i < 3; i++) expect((await early.hit('r', 60_000, 5)).allowed).toBe(true);
    expect((await early.hit('r', 60_000, 5)).allowed).toBe(false);
  });
});
