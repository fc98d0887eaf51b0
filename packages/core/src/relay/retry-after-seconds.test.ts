import { describe, expect, it } from 'vitest';
import { retryAfterSeconds } from './retry-after-seconds.ts';

describe('retryAfterSeconds (C22)', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const at = (headers: Record<string, string>) => retryAfterSeconds(new Headers(headers), now);

  it('C22: retry-after-ms wins, in whole seconds rounded up', () => {
    expect(at({ 'retry-after-ms': '1500', 'retry-after': '30' })).toBe(2);
    expect(at({ 'retry-after-ms': '1' })).toBe(1);
    expect(at({ 'retry-after-ms': '20000.5' })).toBe(21);
  });

  it('C22: retry-after seconds and HTTP-dates', () => {
    expect(at({ 'retry-after': '7' })).toBe(7);
    expect(at({ 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT' })).toBe(10);
    expect(at({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' })).toBe(1);
  });

  it('C22: huge values clamp to 60 s; negative, fractional, garbage and absent give the 2 s default', () => {
    expect(at({ 'retry-after': '86400' })).toBe(60);
    expect(at({ 'retry-after': '999999999999999999999' })).toBe(2);
    expect(at({ 'retry-after': 'Fri, 01 Jan 2100 00:00:00 GMT' })).toBe(60);
    for (const garbage of [
      '-5',
      '1.5',
      'soon',
      '',
      '0x10',
      '1e3',
      'Thursday',
      '2026-01-01T00:00:10Z',
      ' 5 5',
    ]) {
      expect(at({ 'retry-after': garbage }), garbage).toBe(2);
    }
    expect(at({ 'retry-after-ms': '-100' })).toBe(2);
    expect(at({ 'retry-after-ms': 'NaN', 'retry-after': '3' })).toBe(3);
    expect(at({})).toBe(2);
    expect(at({ 'retry-after': '0' })).toBe(1);
  });
});
