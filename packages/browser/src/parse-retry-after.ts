/**
 * Milliseconds to wait from a response's `Retry-After` (delay-seconds or an HTTP-date), at least 0; `undefined`
 * when absent or garbage, so that garbage never becomes a wait.
 *
 * @example
 * parseRetryAfter(new Response(null, { status: 429, headers: { 'retry-after': '2' } })); // 2000
 */
export function parseRetryAfter(response: Response): number | undefined {
  const text = response.headers.get('retry-after')?.trim() ?? '';
  const ms = /^\d+$/.test(text) ? +text * 1000 : /GMT$/.test(text) ? Date.parse(text) - Date.now() : NaN;
  return Number.isNaN(ms) ? undefined : Math.max(0, ms);
}
