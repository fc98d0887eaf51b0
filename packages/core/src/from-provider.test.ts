import { assertNoLeak, fakeKey } from '@auth/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthError } from './auth-error.ts';
import { createResolver } from './create-resolver.ts';
import { fromProvider } from './from-provider.ts';

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    expect(AuthError.is(error)).toBe(true);
    return error as AuthError;
  }
  throw new Error('expected a rejection');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('fromProvider', () => {
  it('A6: a provider that hangs fails with provider_timeout within the bound', async () => {
    const load = vi.fn(() => new Promise<string>(() => undefined));
    const resolver = createResolver({ sources: [fromProvider(load, { timeoutMs: 50 })] });
    const started = Date.now();
    const error = await rejection(resolver.resolve());
    expect(error.code).toBe('provider_timeout');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('A6: the timeout aborts the signal handed to the provider', async () => {
    let signal: AbortSignal | undefined;
    const resolver = createResolver({
      sources: [
        fromProvider(
          (context) => {
            signal = context.signal;
            return new Promise<string>(() => undefined);
          },
          { timeoutMs: 20 },
        ),
      ],
    });
    await rejection(resolver.resolve());
    expect(signal?.aborted).toBe(true);
  });

  it('A6: throws, or returns undefined / a number / empty / blank → provider_failed, no value echoed', async () => {
    const key = fakeKey('project');
    const errors: AuthError[] = [];
    const loads: Array<() => unknown> = [
      () => {
        throw new Error(`vault said no for ${key}`);
      },
      () => Promise.reject(new Error(`rejected: ${key}`)),
      () => undefined,
      () => 42,
      () => '',
      () => '   ',
      () => ({ apiKey: '' }),
      () => ({ token: key }),
    ];
    for (const load of loads) {
      const error = await rejection(createResolver({ sources: [fromProvider(load as never)] }).resolve());
      expect(error.code).toBe('provider_failed');
      errors.push(error);
    }
    expect(errors[3]?.message).toContain('got number');
    expect(errors[0]?.cause).toBeInstanceOf(Error);
    assertNoLeak({ errors }, [key]);
  });

  it('A6: 50 concurrent first calls → exactly one provider call (single-flight)', async () => {
    const key = fakeKey('project');
    const load = vi.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      return key;
    });
    const resolver = createResolver({ sources: [fromProvider(load)] });
    const results = await Promise.all(Array.from({ length: 50 }, () => resolver.resolve()));
    expect(load).toHaveBeenCalledTimes(1);
    expect(new Set(results).size).toBe(1);
  });

  it('single-flight: 1,000 concurrent resolve() on a cold provider and again on an expiring one → 1 call each', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const load = vi.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { apiKey: fakeKey('project'), ttlMs: 60_000 };
    });
    const resolver = createResolver({ sources: [fromProvider(load)], refreshAheadMs: 10_000 });
    const cold = await Promise.all(Array.from({ length: 1000 }, () => resolver.resolve()));
    expect(load).toHaveBeenCalledTimes(1);
    expect(new Set(cold).size).toBe(1);

    // Inside the refresh-ahead window: everyone is served the current value, one background load runs.
    vi.setSystemTime(Date.now() + 55_000);
    const ahead = await Promise.all(Array.from({ length: 1000 }, () => resolver.resolve()));
    expect(new Set(ahead)).toEqual(new Set(cold));
    expect(load).toHaveBeenCalledTimes(2);
    await vi.waitFor(async () => expect(await resolver.resolve()).not.toBe(cold[0]));

    // Past expiry: callers wait for the one load.
    vi.setSystemTime(Date.now() + 120_000);
    const expired = await Promise.all(Array.from({ length: 1000 }, () => resolver.resolve()));
    expect(load).toHaveBeenCalledTimes(3);
    expect(new Set(expired).size).toBe(1);
  });

  it('A6: success is cached for its TTL, then loaded again; expiresAt wins over ttlMs', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const keys = [fakeKey('project'), fakeKey('project')];
    let calls = 0;
    const resolver = createResolver({
      sources: [
        fromProvider(() => ({
          apiKey: keys[calls++ % 2]!,
          expiresAt: new Date(Date.now() + 1000),
          ttlMs: 999_999,
        })),
      ],
      refreshAheadMs: 0,
    });
    const first = await resolver.resolve();
    vi.setSystemTime(Date.now() + 900);
    expect(await resolver.resolve()).toBe(first);
    expect(calls).toBe(1);
    vi.setSystemTime(Date.now() + 200);
    const second = await resolver.resolve();
    expect(calls).toBe(2);
    expect(second.apiKey).toBe(keys[1]);
    expect(second.expiresAt).toBeGreaterThan(Date.now());
  });

  it('A6: a failure is not cached beyond the short back-off', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const key = fakeKey('project');
    let fail = true;
    const load = vi.fn(async () => {
      if (fail) throw new Error('KMS unavailable');
      return key;
    });
    const resolver = createResolver({ sources: [fromProvider(load, { failureBackoffMs: 500 })] });
    expect((await rejection(resolver.resolve())).code).toBe('provider_failed');
    fail = false;
    expect((await rejection(resolver.resolve())).code).toBe('provider_failed');
    expect(load).toHaveBeenCalledTimes(1);
    vi.setSystemTime(Date.now() + 501);
    expect((await resolver.resolve()).apiKey).toBe(key);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('a failed background refresh keeps serving the cached key until expiry, then fails closed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const key = fakeKey('project');
    let up = true;
    const resolver = createResolver({
      sources: [
        fromProvider(
          async () => {
            if (!up) throw new Error('outage');
            return { apiKey: key, ttlMs: 10_000 };
          },
          { failureBackoffMs: 0 },
        ),
      ],
      refreshAheadMs: 5000,
    });
    const first = await resolver.resolve();
    up = false;
    vi.setSystemTime(Date.now() + 6000);
    expect(await resolver.resolve()).toBe(first);
    await new Promise((resolve) => setTimeout(resolve, 0));
    const report = await resolver.report();
    expect(report.ok).toBe(true);
    expect(report.warnings.map((warning) => warning.code)).toContain('refresh_failed');
    vi.setSystemTime(Date.now() + 5000);
    const error = await rejection(resolver.resolve());
    expect(error.code).toBe('provider_failed');
  });

  it('invalidate(stale) reloads once; a stale invalidation after a refresh is a no-op', async () => {
    let calls = 0;
    const resolver = createResolver({
      sources: [
        fromProvider(() => {
          calls++;
          return fakeKey('project');
        }),
      ],
    });
    const first = await resolver.resolve();
    resolver.invalidate(first);
    const second = await resolver.resolve();
    expect(second).not.toBe(first);
    resolver.invalidate(first);
    expect(await resolver.resolve()).toBe(second);
    expect(calls).toBe(2);
  });
});
