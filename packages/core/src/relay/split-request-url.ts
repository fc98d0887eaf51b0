import type { RelayURL } from './relay-transport.ts';

/**
 * The parts of a `Request`'s URL without parsing it again: that URL is always serialized (the Fetch standard),
 * and parsing a serialized URL gives back the same parts, so an `http(s)` one is cut at its delimiters. Any
 * other (another scheme, userinfo) is parsed. A `URL` per request cost more than Bun's whole route check.
 *
 * @example
 * splitRequestURL('http://127.0.0.1:8787/api/openai/models?limit=2');
 * // { href, origin: 'http://127.0.0.1:8787', pathname: '/api/openai/models', search: '?limit=2' }
 */
export function splitRequestURL(href: string): RelayURL {
  const authority = href.startsWith('http://') ? 7 : href.startsWith('https://') ? 8 : -1;
  const path = authority < 0 ? -1 : href.indexOf('/', authority);
  const at = href.indexOf('@', authority);
  if (path < 0 || (at >= 0 && at < path)) return new URL(href);
  const hash = href.indexOf('#', path);
  const end = hash < 0 ? href.length : hash;
  const query = href.indexOf('?', path);
  const hasQuery = query >= 0 && query < end;
  return {
    href,
    origin: href.slice(0, path),
    pathname: href.slice(path, hasQuery ? query : end),
    // An empty query is no search, as `URL.search` has it.
    search: hasQuery && end - query > 1 ? href.slice(query, end) : '',
  };
}
