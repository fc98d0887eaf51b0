/*
 * Both directions are allowlists, not blocklists: a browser request carries the app's cookies, session tokens
 * and whatever headers a page adds, and an upstream response carries `Set-Cookie`, `OpenAI-Organization` (the
 * organization's name) and rate-limit details of the whole organization. Only what the API needs goes up, and
 * only what the browser needs comes back. `Content-Type`, `Content-Length` and `Content-Encoding` of bodies
 * are set by the relay and the runtime's `fetch`, never copied: `fetch` decodes gzip, so a copied
 * `Content-Encoding` or `Content-Length` would describe bytes the browser never gets.
 */
import type { RelayHeaders } from './relay-transport.ts';

const requestAllowlist = ['accept', 'openai-beta', 'idempotency-key'] as const;
const responseAllowlist = ['content-type', 'x-request-id', 'openai-processing-ms', 'openai-version'] as const;

/**
 * The browser headers forwarded upstream: `Accept`, `OpenAI-Beta` and `Idempotency-Key`, unless the
 * browser's `Connection` header names them (that makes them hop-by-hop). `Authorization`, `Cookie`,
 * `OpenAI-Organization`, `OpenAI-Project`, `api-key`, `x-api-key`, `X-Forwarded-*`, `Forwarded`, `Host` and
 * every hop-by-hop header are dropped by construction.
 *
 * @example
 * filterRequestHeaders(request.headers); // { accept: 'application/json' }
 */
export function filterRequestHeaders(headers: RelayHeaders): Record<string, string> {
  return pick(headers, requestAllowlist);
}

/**
 * The upstream response headers passed to the browser: `Content-Type`, `x-request-id`,
 * `openai-processing-ms`, `openai-version`, unless the upstream's `Connection` header names them.
 * `Set-Cookie`, hop-by-hop and framing headers never come back.
 *
 * @example
 * filterResponseHeaders(upstream.headers); // { 'content-type': 'application/json', 'x-request-id': 'req_…' }
 */
export function filterResponseHeaders(headers: RelayHeaders): Record<string, string> {
  return pick(headers, responseAllowlist);
}

function pick(headers: RelayHeaders, names: readonly string[]): Record<string, string> {
  const connection = headers.get('connection')?.toLowerCase() ?? '';
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = headers.get(name);
    if (value !== null && !(connection.includes(name) && namedIn(connection, name))) out[name] = value;
  }
  return out;
}

/** `connection` (lower case) lists `name`; only split when the name occurs in it at all (`keep-alive` never). */
function namedIn(connection: string, name: string): boolean {
  return connection.split(',').some((token) => token.trim() === name);
}
