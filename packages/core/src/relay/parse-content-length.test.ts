import { describe, expect, it } from 'vitest';
import { parseContentLength } from './parse-content-length.ts';

describe('parseContentLength (D34)', () => {
  it('D34: digits only', () => {
    expect(parseContentLength(null)).toBe('absent');
    expect(parseContentLength('0')).toBe(0);
    expect(parseContentLength('001024')).toBe(1024);
    expect(parseContentLength(String(1024 ** 3))).toBe(1024 ** 3);
    expect(parseContentLength('9'.repeat(40))).toBe(Number.MAX_SAFE_INTEGER);
    for (const value of ['1e3', '-1', '1,1', '1, 1', '+5', '0x10', '', ' 5', '5 ', '1.0', 'Infinity', '١٢']) {
      expect(parseContentLength(value), value).toBe('invalid');
    }
  });
});
