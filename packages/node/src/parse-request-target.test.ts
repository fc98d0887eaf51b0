import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRequestTarget } from './parse-request-target.ts';

/** What `new URL(base + target)` says, in the parts the relay reads; `undefined` when it throws. */
function parsedByURL(base: string, target: string) {
  try {
    const { origin, pathname, search, href } = new URL(base + target);
    return { origin, pathname, search, href };
  } catch {
    return undefined;
  }
}

const parts = (base: string, target: string) => {
  const url = parseRequestTarget(base, target);
  return url === undefined
    ? undefined
    : { origin: url.origin, pathname: url.pathname, search: url.search, href: url.href };
};

// Characters that URL parsing changes or treats specially, among plain ones.
const piece = fc.constantFrom(
  'a',
  'Z',
  '0',
  '_',
  '-',
  '~',
  ':',
  '@',
  '!',
  '$',
  '&',
  "'",
  '(',
  ')',
  '*',
  '+',
  ',',
  ';',
  '=',
  '/',
  '?',
  '.',
  '..',
  '%',
  '%2e',
  '%2F',
  '#',
  '\\',
  ' ',
  '"',
  '<',
  '>',
  '`',
  '{',
  '}',
  '|',
  '^',
  '[',
  ']',
  '\t',
  '\n',
  'é',
  '\u0000',
  'chat',
  'completions',
  '/./',
  '/../',
);
const target = fc.array(piece, { maxLength: 12 }).map((pieces) => `/${pieces.join('')}`);
const base = fc.constantFrom(
  'http://127.0.0.1:3000',
  'http://LOCALHOST:80',
  'http://127.1',
  'http://[::1]:8080',
  'https://app.example.com',
  'http://a:99999',
);

describe('parseRequestTarget', () => {
  it('gives what new URL(base + target) gives, for any target and host (property)', () => {
    fc.assert(
      fc.property(base, target, (b, t) => {
        expect(parts(b, t)).toEqual(parsedByURL(b, t));
      }),
      { numRuns: 5000 },
    );
  });

  it('the usual targets, and the ones URL must see: dot segments, escapes, backslashes, fragments', () => {
    const b = 'http://LocalHost:80';
    for (const t of [
      '/api/openai/chat/completions',
      '/api/openai/models?limit=2&after=x',
      '/api/openai/models?',
      '/api/openai/../admin',
      '/api/openai/.',
      '/api/openai/%2e%2e/x',
      '/api/openai\\..\\x',
      '/api/openai/x#frag',
      "/api/openai/x?q='1'",
      '/api/openai/ft:gpt-4o-mini:org:name:id',
    ]) {
      expect(parts(b, t), t).toEqual(parsedByURL(b, t));
    }
    expect(parts(b, '/a/../b')?.pathname).toBe('/b');
    expect(parts(b, '/models?')?.search).toBe('');
    expect(parts('http://a:99999', '/x')).toBeUndefined();
  });
});
