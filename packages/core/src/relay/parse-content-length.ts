/**
 * Reads a `Content-Length` value strictly: digits only. `1e3`, `-1`, `+5`, ` 5`, `0x10` and the `1, 1` that
 * `Headers` makes of two `Content-Length` headers are `'invalid'` (a relay and the server behind it must
 * never disagree on where a body ends). `null` is `'absent'`.
 *
 * @example
 * parseContentLength('1024'); // 1024
 * parseContentLength('1e3'); // 'invalid'
 */
export function parseContentLength(value: string | null): number | 'absent' | 'invalid' {
  if (value === null) return 'absent';
  // 15 digits stay exact in a double; anything longer is far past any limit anyway.
  if (!/^[0-9]{1,15}$/.test(value)) return /^[0-9]{16,}$/.test(value) ? Number.MAX_SAFE_INTEGER : 'invalid';
  return Number(value);
}
