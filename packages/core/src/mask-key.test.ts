import { fakeKey, findKeyShapes } from '@auth/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskKey } from './mask-key.ts';

const prefixes = ['sk-', 'sk-proj-', 'sk-svcacct-', 'sk-admin-', 'ek_', ''];

describe('maskKey', () => {
  it('B17: lengths 0…164 with every prefix show at most the prefix and last 4, hide the length, never echo short input', () => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    for (const prefix of prefixes) {
      for (const length of [0, 1, 2, 7, 8, 12, 13, 51, 164]) {
        const body = Array.from(
          { length },
          (_, index) => alphabet[(index * 7 + length) % alphabet.length],
        ).join('');
        const key = prefix + body;
        const masked = maskKey(key);
        const revealed = masked.replace('…', '');
        expect(revealed.length).toBeLessThanOrEqual(prefix.length + 4);
        if (key.length > 0) expect(masked).not.toBe(key);
        if (revealed.length > prefix.length) expect(key.endsWith(revealed.slice(prefix.length))).toBe(true);
        expect(findKeyShapes(masked)).toEqual([]);
      }
    }
    // Same prefix, different lengths: the mask does not tell them apart.
    expect(maskKey(`sk-proj-${'a'.repeat(40)}wxyz`)).toBe(maskKey(`sk-proj-${'b'.repeat(150)}wxyz`));
  });

  it('B17: real key shapes become prefix…last4', () => {
    const key = fakeKey('project');
    expect(maskKey(key)).toBe(`sk-proj-…${key.slice(-4)}`);
    expect(maskKey(fakeKey('admin'))).toMatch(/^sk-admin-…[A-Za-z0-9_-]{4}$/);
    expect(maskKey(fakeKey('user'))).toMatch(/^sk-…[A-Za-z0-9]{4}$/);
  });

  it('property: never reveals more than the prefix and the last 4 characters', () => {
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.string({ maxLength: 200 }), (prefix, rest) => {
        const key = prefix + rest;
        const masked = maskKey(key);
        const [head = '', tail = ''] = masked.split('…');
        expect(key.startsWith(head)).toBe(true);
        expect(head.length).toBeLessThanOrEqual(11);
        expect(tail.length).toBeLessThanOrEqual(4);
        expect(key.endsWith(tail)).toBe(true);
        if (key.length > 0) expect(masked).not.toBe(key);
      }),
      { numRuns: 2000 },
    );
  });
});
