/**
 * Every failure `@auth/browser` reports. A closed union, so callers can `switch` on it exhaustively.
 * - `browser_exposure`: an `apiKey` option or a key-shaped value was handed to the browser client, or the relay
 *   answered with a secret key.
 * - `invalid_relay_url`: `relayURL` is not an http(s) URL without credentials, query or fragment.
 * - `foreign_origin`: a request to another origin than the relay's.
 * - `invalid_path`: a path outside the relay's mount, with `.`/`..` segments, encoded slashes or backslashes.
 * - `unauthorized`: the relay answered 401 (no or expired app session), after the one re-auth attempt.
 * - `rate_limited`: the relay answered 429 after the one wait, or asked for a longer wait than allowed.
 * - `relay_error`: the relay answered something else than expected (status, body).
 * - `network_error`: the relay could not be reached.
 * - `aborted`: the caller's `AbortSignal` fired.
 */
export type RelayErrorCode =
  | 'browser_exposure'
  | 'invalid_relay_url'
  | 'foreign_origin'
  | 'invalid_path'
  | 'unauthorized'
  | 'rate_limited'
  | 'relay_error'
  | 'network_error'
  | 'aborted';

/** Options of {@link RelayError}. */
export interface RelayErrorOptions {
  /** The relay's HTTP status, when the error comes from an answer. */
  status?: number | undefined;
  /** How long the relay asked to wait (from `Retry-After`), for `rate_limited`. */
  retryAfterMs?: number | undefined;
  /** The underlying failure (a network `TypeError`, an `AbortError`); never one that holds a key. */
  cause?: unknown;
}

// A registry symbol, so that two copies of the package (two versions in one app, or another realm) agree.
const brand: unique symbol = Symbol.for('openai-auth.RelayError') as never;

/**
 * The one error class of `@auth/browser`. Its text never holds a key: the library refuses key-shaped values
 * without quoting them.
 */
export class RelayError extends Error {
  override readonly name = 'RelayError';
  declare readonly code: RelayErrorCode;
  /** The relay's HTTP status, when the error comes from an answer. */
  declare readonly status?: number | undefined;
  /** How long the relay asked to wait, for `rate_limited`. */
  declare readonly retryAfterMs?: number | undefined;

  constructor(code: RelayErrorCode, message: string, options: RelayErrorOptions = {}) {
    // Error reads only `cause` from the options, and only when present (it stays non-enumerable).
    super(message, options);
    Object.assign(this, options, { code, [brand]: true });
  }

  /** True for a `RelayError` from any copy of the package. */
  static is(value: unknown): value is RelayError {
    return (value as Record<symbol, unknown> | undefined)?.[brand] === true;
  }
}
