import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitRequestURL } from './split-request-url.ts';

const parts = (url: URL | ReturnType<typeof splitRequestURL>) => ({
  href: url.href,
  origin: url.origin,
  pathname: url.pathname,
  search: url.search,
});

describe('splitRequestURL', () => {
  it('cuts a serialized URL where URL would', () => {
    expect(parts(splitRequestURL('http://127.0.0.1:8787/api/openai/models?limit=2#x'))).toEqual({
      href: 'http://127.0.0.1:8787/api/openai/models?limit=2#x',
      origin: 'http://127.0.0.1:8787',
      pathname: '/api/openai/models',
      search: '?limit=2',
    });
    expect(splitRequestURL('https://[::1]/a?').search).toBe('');
    expect(splitRequestURL('http://a/b#c?d').pathname).toBe('/b');
    expect(splitRequestURL('http://a/b#c?d').search).toBe('');
  });

  it('gives the parts URL gives, for any serialized URL (property)', () => {
    const piece = fc.constantFrom(
      ...['a', 'B', '/', '//', '?', '??', '#', '#?', '@', ':', ':80', ':443', ':8080', '%2F', '%', '..', '.'],
      ...['\\', ' ', 'é', '[::1]', '127.0.0.1', 'user:pw@', 'xn--nxasmq6b', '&=', "'"],
    );
    fc.assert(
      fc.property(
        fc.constantFrom('http://', 'https://', 'HTTP://', 'ws://', 'file:///', 'blob:http://', 'foo://'),
        fc.array(piece, { maxLength: 12 }),
        (scheme, rest) => {
          let serialized: string;
          try {
            serialized = new URL(scheme + rest.join('')).href;
          } catch {
            return;
          }
          expect(parts(splitRequestURL(serialized))).toEqual(parts(new URL(serialized)));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
