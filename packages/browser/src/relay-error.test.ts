import { describe, expect, it, vi } from 'vitest';
import { RelayError } from './relay-error.ts';

describe('RelayError', () => {
  it('carries code, status, retryAfterMs and cause', () => {
    const cause = new TypeError('fetch failed');
    const error = new RelayError('rate_limited', 'relay 429', { status: 429, retryAfterMs: 2000, cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('RelayError');
    expect(error.message).toBe('relay 429');
    expect(error.code).toBe('rate_limited');
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBe(2000);
    expect(error.cause).toBe(cause);
    expect(Object.keys(error)).not.toContain('cause');
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'RelayError',
      code: 'rate_limited',
      status: 429,
      retryAfterMs: 2000,
    });
  });

  it('has no cause when none is given', () => {
    expect('cause' in new RelayError('aborted', 'aborted')).toBe(false);
  });

  it('is() recognises errors from another copy of the module, and nothing else', async () => {
    vi.resetModules();
    const copy = (await import('./relay-error.ts')) as typeof import('./relay-error.ts');
    expect(copy.RelayError).not.toBe(RelayError);
    const foreign = new copy.RelayError('unauthorized', 'relay 401');
    expect(foreign).not.toBeInstanceOf(RelayError);
    expect(RelayError.is(foreign)).toBe(true);
    expect(copy.RelayError.is(new RelayError('relay_error', 'x'))).toBe(true);
    for (const value of [new Error('x'), { code: 'unauthorized' }, null, undefined, 'RelayError', 42]) {
      expect(RelayError.is(value)).toBe(false);
    }
  });
});
