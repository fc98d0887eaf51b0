import { redactSecrets } from './redact-secrets.ts';

// Names whose whole value is a credential, whatever it looks like.
const secretHeaders = new Set([
  'authorization',
  'proxy-authorization',
  'api-key',
  'x-api-key',
  'cookie',
  'set-cookie',
]);

/**
 * A loggable copy of a header set: credential headers become `***`, and key-shaped text anywhere else is masked.
 *
 * @example
 * logger.debug({ headers: redactHeaders(response.headers) });
 */
export function redactHeaders(
  headers: Headers | Iterable<[string, string]> | Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  const entries =
    Symbol.iterator in headers ? (headers as Iterable<[string, string]>) : Object.entries(headers);
  for (const [name, value] of entries) {
    const lower = name.toLowerCase();
    out[lower] = secretHeaders.has(lower) ? '***' : redactSecrets(String(value));
  }
  return out;
}
