import { assertNoSecrets } from './assert-no-secrets.ts';
import { exposure } from './exposure.ts';
import { isKeyShaped } from './is-key-shaped.ts';
import { parseRetryAfter } from './parse-retry-after.ts';
import { RelayError } from './relay-error.ts';
import { resolveRelayURL } from './resolve-relay-url.ts';
import { toRelayURL } from './to-relay-url.ts';

/** A `fetch` bound to the relay: same signature as the global one and the official SDK's `Fetch`. */
export type RelayFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Options of {@link createRelayFetch}. There is no `apiKey`: the relay adds the key on the server. */
export interface RelayFetchOptions {
  /** The relay's mount, e.g. `'/api/openai'` (inside a page) or `'https://app.example.com/api/openai'`. */
  relayURL: string | URL;
  /**
   * `'same-origin'` (default) sends the app's cookies only when the relay is the page's origin; `'include'`
   * for a relay on another origin that allows credentialed CORS.
   */
  credentials?: 'same-origin' | 'include';
  /** The `fetch` to send with; default: the global one, looked up per request. */
  fetch?: RelayFetch;
  /**
   * Called once when the relay answers 401 (no or expired app session): refresh the session, then resolve
   * `true` to retry the request once. Concurrent 401s share one call; a rejection counts as `false`.
   */
  onUnauthorized?: () => Promise<boolean>;
  /** The longest `Retry-After` of a 429 that is waited out (then retried once). Default 10 000; 0 never waits. */
  maxRetryAfterMs?: number;
  /**
   * What a final 401 or 429 does: `'throw'` (default) rejects with a `RelayError` (`unauthorized`,
   * `rate_limited`); `'return'` resolves with the response, as `fetch` would, for clients that map statuses to
   * their own errors and retry on their own (the official SDK).
   */
  httpErrors?: 'throw' | 'return';
}

/**
 * A `fetch` that talks only to the relay: relative paths are joined to its mount, absolute URLs must be on its
 * origin, cookies go same-origin, redirects are refused, `Authorization` is never added, key-shaped headers or
 * URLs are refused (`browser_exposure`). A 401 gets one re-auth attempt through `onUnauthorized` and one retry;
 * a 429 with a `Retry-After` within `maxRetryAfterMs` gets one wait and one retry (the body is resent from a
 * clone). Aborting rejects as `fetch` does, with the signal's reason.
 *
 * @example
 * const relayFetch = createRelayFetch({ relayURL: '/api/openai' });
 * const models = await (await relayFetch('models')).json();
 */
export function createRelayFetch(options: RelayFetchOptions): RelayFetch {
  assertNoSecrets(options, 'createRelayFetch');
  const relay = resolveRelayURL(options.relayURL);
  const { onUnauthorized, maxRetryAfterMs = 10_000 } = options;
  const send: RelayFetch = options.fetch ?? ((input) => fetch(input));
  const credentials = options.credentials ?? 'same-origin';
  let reauthenticating: Promise<boolean> | undefined;

  return async (input, init) => {
    const isRequest = input instanceof Request;
    const url = toRelayURL(relay, isRequest ? input.url : `${input}`);
    // Redirects are refused so that cookies and the prompt never go beyond the relay.
    const request = new Request(isRequest ? input : url, { ...init, credentials, redirect: 'error' });
    for (const header of request.headers) if (isKeyShaped(`${header}`)) throw exposure('a request header');
    const { signal } = request;
    // Each attempt sends a clone, so that a retry can resend the body (a stream body is teed for that).
    const attempt = (): Promise<Response> => send(request.clone());

    let response = await attempt();
    if (response.status === 401 && onUnauthorized) {
      reauthenticating ??= onUnauthorized()
        .catch(() => false)
        .finally(() => {
          reauthenticating = undefined;
        });
      const retry = (await reauthenticating) === true;
      signal.throwIfAborted();
      if (retry) {
        discard(response);
        response = await attempt();
      }
    }
    let wait = parseRetryAfter(response);
    if (
      response.status === 429 &&
      (wait ?? Number.POSITIVE_INFINITY) <= maxRetryAfterMs &&
      maxRetryAfterMs > 0
    ) {
      discard(response);
      // The wait ends early, rejecting with the signal's reason, when the caller aborts.
      await new Promise((resolve, reject) => {
        const abort = (): void => {
          clearTimeout(timer);
          reject(signal.reason);
        };
        const timer = setTimeout(() => resolve(signal.removeEventListener('abort', abort)), wait);
        signal.addEventListener('abort', abort, { once: true });
      });
      response = await attempt();
      wait = parseRetryAfter(response);
    }
    const { status } = response;
    if (options.httpErrors === 'return' || (status !== 401 && status !== 429)) return response;
    discard(response);
    throw status === 401
      ? new RelayError('unauthorized', 'relay 401: no or expired app session', { status })
      : new RelayError('rate_limited', 'relay 429: too many requests', { status, retryAfterMs: wait });
  };
}

// An unread body would hold its connection until garbage collection.
function discard(response: Response): void {
  response.body?.cancel().catch(() => {});
}
