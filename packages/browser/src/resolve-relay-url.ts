import { RelayError } from './relay-error.ts';

/** Where the relay answers: its origin and its mount path (no trailing slash; empty for the root). */
export interface RelayLocation {
  origin: string;
  mount: string;
}

/**
 * Parses `relayURL`: an absolute http(s) URL, or a path resolved against the page (`location`).
 *
 * @example
 * resolveRelayURL('https://app.example.com/api/openai/'); // { origin: 'https://app.example.com', mount: '/api/openai' }
 */
export function resolveRelayURL(relayURL: string | URL): RelayLocation {
  let url: URL | undefined;
  try {
    // Resolving against the page is safe here: relayURL is the app's own configuration, never request input.
    url = new URL(relayURL, globalThis.location?.href);
  } catch {}
  if (!url || !/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash) {
    throw new RelayError(
      'invalid_relay_url',
      'relayURL: an http(s) URL (a path in a page), no credentials, query or hash',
    );
  }
  return { origin: url.origin, mount: url.pathname.replace(/\/+$/, '') };
}
