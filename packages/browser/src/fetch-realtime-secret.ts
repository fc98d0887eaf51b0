import { assertNoSecrets } from './assert-no-secrets.ts';
import { createRelayFetch, type RelayFetchOptions } from './create-relay-fetch.ts';
import { exposure } from './exposure.ts';
import { isKeyShaped } from './is-key-shaped.ts';
import { RelayError } from './relay-error.ts';

/** Options of {@link fetchRealtimeSecret}. */
export interface RealtimeSecretOptions extends Omit<RelayFetchOptions, 'httpErrors'> {
  /** Lifetime asked for; the relay clamps it (10…7200 s, default 600). */
  ttlSeconds?: number;
  /** Realtime session configuration (`type`, `model`, `audio`…), sent as `session`; the relay may restrict it. */
  session?: Record<string, unknown>;
  /** Cancels the request; the promise then rejects with `aborted`. */
  signal?: AbortSignal;
}

/** A Realtime ephemeral client secret: short-lived and meant for the browser. */
export interface RealtimeSecret {
  /** The `ek_…` value, for the Realtime WebRTC or WebSocket connection. */
  value: string;
  expiresAt: Date;
}

/**
 * Mints a Realtime ephemeral secret through the relay (`POST <relayURL>/realtime/client_secrets`). Nothing is
 * stored: ask for a new one per connection. Rejects with a `RelayError`: `unauthorized` (after the one
 * `onUnauthorized` attempt), `rate_limited`, `relay_error`, `network_error`, `aborted`, or `browser_exposure`
 * when a misconfigured relay answers with a secret key instead of an `ek_` secret.
 *
 * @example
 * const { value, expiresAt } = await fetchRealtimeSecret({ relayURL: '/api/openai', ttlSeconds: 300 });
 */
export async function fetchRealtimeSecret(options: RealtimeSecretOptions): Promise<RealtimeSecret> {
  assertNoSecrets(options, 'fetchRealtimeSecret');
  const { ttlSeconds, session, signal = null, ...relayOptions } = options;
  try {
    const response = await createRelayFetch(relayOptions)('realtime/client_secrets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // JSON drops the undefined fields: the relay applies its defaults.
      body: JSON.stringify({
        expires_after: ttlSeconds === undefined ? undefined : { anchor: 'created_at', seconds: ttlSeconds },
        session,
      }),
      signal,
    });
    const data = (await response.json().catch(() => undefined)) as
      | { value?: unknown; expires_at?: unknown }
      | undefined;
    signal?.throwIfAborted();
    const value = data?.value;
    const expiresAt = data?.expires_at;
    if (isKeyShaped(`${value}`)) throw exposure("the relay's answer");
    if (
      !response.ok ||
      typeof value !== 'string' ||
      !value.startsWith('ek_') ||
      typeof expiresAt !== 'number'
    ) {
      throw new RelayError('relay_error', `relay ${response.status}: no ek_ value and expires_at`, {
        status: response.status,
      });
    }
    return { value, expiresAt: new Date(expiresAt * 1000) };
  } catch (error) {
    throw RelayError.is(error)
      ? error
      : new RelayError(signal?.aborted ? 'aborted' : 'network_error', 'no answer from the relay', {
          cause: error,
        });
  }
}
