export const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const URL_SAFE = `${ALPHANUMERIC}_-`;
export const HEX = '0123456789abcdef';

/**
 * A uniformly random string of `length` characters from `alphabet` (at most 256 characters), drawn from
 * Web Crypto.
 */
export function randomString(alphabet: string, length: number): string {
  // Rejection sampling: bytes at or above `limit` would make the first characters of the alphabet likelier.
  const limit = 256 - (256 % alphabet.length);
  let result = '';
  while (result.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte >= limit) continue;
      result += alphabet.charAt(byte % alphabet.length);
      if (result.length === length) break;
    }
  }
  return result;
}
