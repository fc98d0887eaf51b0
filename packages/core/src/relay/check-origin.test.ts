import { describe, expect, it } from 'vitest';
import { checkOrigin } from './check-origin.ts';

const own = 'https://app.example.com';
const listed = new Set(['https://admin.example.net']);
const check = (method: string, headers: Record<string, string>) =>
  checkOrigin(new Headers(headers), method, own, listed);

describe('checkOrigin (D32, D33)', () => {
  it('D32: own and listed origins pass, compared exactly', () => {
    expect(check('POST', { origin: own })).toEqual({ allowed: true, origin: own });
    expect(check('POST', { origin: 'https://admin.example.net', 'sec-fetch-site': 'cross-site' })).toEqual({
      allowed: true,
      origin: 'https://admin.example.net',
    });
    for (const origin of [
      'null',
      'https://app.example.com.evil.test',
      'https://evilapp.example.com',
      'http://app.example.com',
      'https://app.example.com:443x',
      'https://app.example.com:8443',
      `${own}/`,
      'HTTPS://APP.EXAMPLE.COM',
    ]) {
      expect(check('GET', { origin }), origin).toEqual({ allowed: false, code: 'origin_not_allowed' });
    }
  });

  it('D33: Fetch Metadata without Origin: cross-site and same-site refused, same-origin and none allowed', () => {
    expect(check('POST', { 'sec-fetch-site': 'cross-site' })).toEqual({
      allowed: false,
      code: 'cross_site_request',
    });
    expect(check('GET', { 'sec-fetch-site': 'cross-site' })).toEqual({
      allowed: false,
      code: 'cross_site_request',
    });
    expect(check('POST', { 'sec-fetch-site': 'same-site' })).toEqual({
      allowed: false,
      code: 'cross_site_request',
    });
    expect(check('POST', { 'sec-fetch-site': 'same-origin' }).allowed).toBe(true);
    expect(check('POST', { 'sec-fetch-site': 'none' }).allowed).toBe(true);
  });

  it('D33: neither Origin nor Fetch Metadata: GET passes, POST needs an allowed Referer', () => {
    expect(check('GET', {}).allowed).toBe(true);
    expect(check('POST', {})).toEqual({ allowed: false, code: 'origin_not_allowed' });
    expect(check('POST', { referer: `${own}/chat` }).allowed).toBe(true);
    expect(check('POST', { referer: 'https://admin.example.net/x?y' }).allowed).toBe(true);
    expect(check('POST', { referer: 'https://evil.test/' }).allowed).toBe(false);
    expect(check('POST', { referer: '/relative' }).allowed).toBe(false);
  });
});
