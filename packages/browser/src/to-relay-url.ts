import { exposure } from './exposure.ts';
import { isKeyShaped } from './is-key-shaped.ts';
import { RelayError } from './relay-error.ts';
import type { RelayLocation } from './resolve-relay-url.ts';

// Every segment must decode, and be neither `.` nor `..` nor hide a `/` or `\`: servers and proxies that decode
// `%2f` or `%2e%2e` would otherwise route the request outside the relay's mount.
const isSafePath = (path: string): boolean =>
  path.split('/').every((segment) => {
    try {
      const decoded = decodeURIComponent(segment);
      return decoded !== '.' && decoded !== '..' && !/[\\/]/.test(decoded);
    } catch {
      return false;
    }
  });

/**
 * The absolute URL of a request to the relay: relative paths (`models`, `/chat/completions?x=1`) are joined to
 * the mount by concatenation after their segments are checked, never with `new URL(path, base)` (which would
 * resolve `..` out of the mount); absolute URLs must be on the relay's origin and under its mount.
 *
 * @example
 * toRelayURL({ origin: 'https://app.example.com', mount: '/api/openai' }, 'models'); // 'https://app.example.com/api/openai/models'
 */
export function toRelayURL(relay: RelayLocation, input: string): string {
  if (isKeyShaped(input)) throw exposure('a URL');
  const outside = (): RelayError =>
    new RelayError('invalid_path', `path outside the relay's mount ${relay.mount}/`);
  let target = input;
  // Relative unless it has a scheme or starts with two slashes in any direction (browsers read `\` as `/`).
  if (!/^([a-z][\w+.-]*:|[\\/]{2})/i.test(input)) {
    const path = input.split(/[?#]/, 1)[0]!;
    if (!isSafePath(path)) throw outside();
    target = `${relay.origin}${relay.mount}/${path.replace(/^\/+/, '')}${input.slice(path.length)}`;
  }
  // Absolute by now: the base only completes `//host/x`, and the origin check decides.
  const url = new URL(target, relay.origin);
  if (url.origin !== relay.origin) {
    throw new RelayError('foreign_origin', `${url.origin} is not the relay's origin ${relay.origin}`);
  }
  if (!isSafePath(url.pathname) || !`${url.pathname}/`.startsWith(`${relay.mount}/`)) throw outside();
  return url.href;
}
