/**
 * `@auth/browser`: the browser half of browsers-via-backend for the OpenAI API. It never holds an OpenAI key:
 * every request goes to your app's own relay (`createRelay` of `@auth/core`, served by your backend), which
 * checks the app's session cookie, enforces its allowlists and adds the key on the server. No `apiKey` option
 * exists anywhere, and any key-shaped value handed to an option, a header or a URL is refused
 * (`browser_exposure`). Nothing is written to `localStorage`, `sessionStorage` or IndexedDB.
 *
 * @example
 * import OpenAI from 'openai';
 * import { openaiBrowserOptions } from '@auth/browser';
 *
 * const client = new OpenAI(openaiBrowserOptions({ relayURL: '/api/openai' }));
 * const stream = await client.chat.completions.create({
 *   model: 'gpt-4o-mini',
 *   messages: [{ role: 'user', content: 'Hello' }],
 *   stream: true,
 * });
 *
 * @module
 */

/**
 * A `fetch` that talks only to the relay: relative paths join its mount safely, other origins are refused,
 * cookies go same-origin, one re-auth on 401, one wait on 429, `AbortSignal` passed through.
 *
 * @example
 * const relayFetch = createRelayFetch({
 *   relayURL: '/api/openai',
 *   onUnauthorized: async () => (await fetch('/session/refresh', { method: 'POST' })).ok,
 * });
 * const response = await relayFetch('responses', {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ model: 'gpt-4o-mini', input: 'Hello' }),
 *   signal: AbortSignal.timeout(30_000),
 * });
 */
export { createRelayFetch, type RelayFetch, type RelayFetchOptions } from './create-relay-fetch.ts';
/**
 * Mints a Realtime ephemeral secret (`ek_…`) through the relay, for a direct WebRTC/WebSocket connection.
 *
 * @example
 * const secret = await fetchRealtimeSecret({ relayURL: '/api/openai', ttlSeconds: 300 });
 * if (secret.expiresAt.getTime() - Date.now() < 30_000) console.warn('about to expire');
 */
export {
  fetchRealtimeSecret,
  type RealtimeSecret,
  type RealtimeSecretOptions,
} from './fetch-realtime-secret.ts';
/**
 * Options for `new OpenAI(...)` of the official SDK in a browser, with no key.
 *
 * @example
 * const client = new OpenAI({ ...openaiBrowserOptions({ relayURL: '/api/openai' }), maxRetries: 1 });
 * const models = await client.models.list();
 */
export {
  type OpenAIBrowserOptions,
  type OpenAIBrowserOptionsInput,
  openaiBrowserOptions,
} from './openai-browser-options.ts';
/**
 * The one error class, with a `code` from {@link RelayErrorCode}; `RelayError.is()` works across copies.
 *
 * @example
 * try { await relayFetch('models'); } catch (error) {
 *   if (RelayError.is(error) && error.code === 'unauthorized') location.assign('/login');
 * }
 */
export { RelayError, type RelayErrorCode, type RelayErrorOptions } from './relay-error.ts';
