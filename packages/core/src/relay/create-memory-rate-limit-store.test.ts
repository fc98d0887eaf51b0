import { describe, expect, it } from 'vitest';
import { createMemoryRateLimitStore } from './create-memory-rate-limit-store.ts';

describe('createMemoryRateLimitStore (D40)', () => {
  it('D40: a burst of `limit`, then one per window/limit; refusals say when; keys are independent', async () => {
    let time = 1_000_000;
    const store = createMemoryRateLimitStore({ now: () => time });
    for (let i = 0; i < 6; i++) expect((await store.hit('a', 60_000, 6)).allowed).toBe(true);
    expect(await store.hit('a', 60_000, 6)).toEqual({ allowed: false, retryAfterMs: 10_000 });
    expect((await store.hit('b', 60_000, 6)).allowed).toBe(true);
    time += 9_999;
    expect((await store.hit('a', 60_000, 6)).allowed).toBe(false);
    time += 1;
    expect((await store.hit('a', 60_000, 6)).allowed).toBe(true);
    expect((await store.hit('a', 60_000, 6)).allowed).toBe(false);
  });

  it('D40: concurrent slots: leases, a double release is harmless', async () => {
    const store = createMemoryRateLimitStore();
    const first = await store.acquire('a', 2);
    const second = await store.acquire('a', 2);
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(await store.acquire('a', 2)).toBeUndefined();
    expect(await store.acquire('b', 2)).toBeDefined();
    await store.release('a', first!);
    await store.release('a', first!);
    expect(await store.acquire('a', 2)).toBeDefined();
    expect(await store.acquire('a', 2)).toBeUndefined();
  });

  it('memory stays bounded: refilled keys are forgotten, and the key count is capped', async () => {
    let time = 0;
    const store = createMemoryRateLimitStore({ now: () => time, maxKeys: 1000 });
    for (let i = 0; i < 50_000; i++) {
      await store.hit(`user-${i}`, 60_000, 60);
      time += 1;
    }
    expect(store.size).toBeLessThanOrEqual(1000);
    time += 120_000;
    await store.hit('late', 60_000, 60);
    expect(store.size).toBe(1);
    const lease = await store.acquire('s', 1);
    await store.release('s', lease!);
    expect(store.size).toBe(1);
  });
});
