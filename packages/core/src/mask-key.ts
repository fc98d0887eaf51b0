import { keyPrefix } from './classify-key.ts';

// A key shorter than this shows no tail: its last 4 would be too large a share of it.
const minimumForTail = 16;

/**
 * A safe fingerprint of a secret: the known prefix and the last 4 characters, never more, and never the length.
 * Short or unrecognised inputs show less, never themselves.
 *
 * @example
 * maskKey(key); // 'sk-proj-…Ab12'
 */
export function maskKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) return '…';
  const prefix = keyPrefix(key);
  const rest = key.length - prefix.length;
  if (rest < minimumForTail) return `${prefix}…`;
  return `${prefix}…${key.slice(-4)}`;
}
