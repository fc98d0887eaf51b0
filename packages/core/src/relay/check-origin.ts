import type { RelayHeaders } from './relay-transport.ts';

/** Whether a browser request may proceed, and the origin to echo in CORS headers if one was sent. */
export type OriginVerdict =
  | { allowed: true; origin: string | undefined }
  | { allowed: false; code: 'origin_not_allowed' | 'cross_site_request' };

const safeMethods = new Set(['GET', 'HEAD']);

/**
 * The relay's CSRF and CORS origin rule. `Origin`, when sent, must be the relay's own origin or one listed:
 * compared as whole strings, so `https://app.example.com.evil.test`, `https://evilapp.example.com`, scheme and
 * port variants and `null` never pass. Without `Origin`, Fetch Metadata decides (`cross-site` and
 * `same-site` are refused); without either, a state-changing request needs a `Referer` of an allowed origin.
 *
 * @example
 * checkOrigin(request.headers, 'POST', 'https://app.example.com', new Set()); // { allowed: true, origin: … }
 */
export function checkOrigin(
  headers: RelayHeaders,
  method: string,
  ownOrigin: string,
  origins: ReadonlySet<string>,
): OriginVerdict {
  const isAllowed = (origin: string) => origin !== 'null' && (origin === ownOrigin || origins.has(origin));
  const origin = headers.get('origin');
  if (origin !== null) {
    // A listed cross-site origin sends `Sec-Fetch-Site: cross-site` legitimately, so `Origin` decides alone.
    return isAllowed(origin) ? { allowed: true, origin } : { allowed: false, code: 'origin_not_allowed' };
  }
  const site = headers.get('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') return { allowed: false, code: 'cross_site_request' };
  if (site !== null || safeMethods.has(method)) return { allowed: true, origin: undefined };
  // An old browser or a non-browser client: the Referer is the last evidence of where a request came from.
  const referer = headers.get('referer');
  return referer !== null && isAllowed(originOf(referer))
    ? { allowed: true, origin: undefined }
    : { allowed: false, code: 'origin_not_allowed' };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'null';
  }
}
