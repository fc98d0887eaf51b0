import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './parse-retry-after.ts';

const with429 = (value?: string): Response =>
  new Response(null, { status: 429, headers: value === undefined ? {} : { 'retry-after': value } });

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['2', 2000],
    [' 7 ', 7000],
    ['120', 120_000],
  ])('reads delay-seconds %j', (value, expected) => {
    expect(parseRetryAfter(with429(value))).toBe(expected);
  });

  it('reads an HTTP-date, and a past one as 0', () => {
    const inTenSeconds = parseRetryAfter(with429(new Date(Date.now() + 10_000).toUTCString()));
    expect(inTenSeconds).toBeGreaterThan(8000);
    expect(inTenSeconds).toBeLessThanOrEqual(10_000);
    expect(parseRetryAfter(with429(new Date(Date.now() - 10_000).toUTCString()))).toBe(0);
  });

  it.each(['', 'soon', '-5', '1.5', '1e3', '0x10', 'Infinity', 'Mon, 99 Foo 2024 GMT'])(
    'gives undefined for garbage %j, so garbage never becomes a wait',
    (value) => {
      expect(parseRetryAfter(with429(value))).toBeUndefined();
    },
  );

  it('gives undefined without the header', () => {
    expect(parseRetryAfter(with429())).toBeUndefined();
  });
});
