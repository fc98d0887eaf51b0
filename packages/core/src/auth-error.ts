import { redactSecrets } from './redact-secrets.ts';

/** Every failure the library reports. A closed union, so callers can `switch` on it exhaustively. */
export type AuthErrorCode =
  | 'missing_credentials'
  | 'invalid_credentials'
  | 'conflicting_sources'
  | 'source_unreadable'
  | 'provider_failed'
  | 'provider_timeout'
  | 'browser_exposure'
  | 'key_kind_not_allowed'
  | 'invalid_base_url'
  | 'invalid_header'
  | 'redirect_blocked'
  | 'upstream_timeout'
  | 'upstream_unreachable';

const brand: unique symbol = Symbol.for('openai-auth.AuthError') as never;

/** Options of {@link AuthError}. */
export interface AuthErrorOptions {
  /** The underlying failure; it is copied with its text redacted, never kept as is. */
  cause?: unknown;
  /** Extra non-secret facts (a path, a source name) for programs to read. */
  details?: Readonly<Record<string, string | number | boolean | undefined>>;
}

/**
 * The one error class of the library. Its `message`, `cause`, `stack` and JSON never contain a key: every text
 * passes through {@link redactSecrets}, and causes are replaced by redacted copies.
 */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly code: AuthErrorCode;
  readonly details: Readonly<Record<string, string | number | boolean | undefined>>;

  constructor(code: AuthErrorCode, message: string, options: AuthErrorOptions = {}) {
    const { cause } = options;
    super(redactSecrets(message), cause === undefined ? undefined : { cause: sanitizeCause(cause) });
    this.code = code;
    this.details = Object.freeze({ ...options.details });
    Object.defineProperty(this, brand, { value: true });
    if (this.stack) this.stack = redactSecrets(this.stack);
  }

  /** True for an `AuthError` from any copy of the library (two versions in one app, or across realms). */
  static is(value: unknown): value is AuthError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }

  toJSON(): { name: string; code: AuthErrorCode; message: string; details: Record<string, unknown> } {
    return { name: this.name, code: this.code, message: this.message, details: { ...this.details } };
  }
}

/**
 * Causes come from user code (a provider's exception, a file system error) and may quote the secret. Keep the
 * shape that helps debugging (name, code, redacted message and stack) and drop the rest.
 */
function sanitizeCause(cause: unknown, depth = 0): unknown {
  if (AuthError.is(cause)) return cause;
  if (!(cause instanceof Error) || depth > 3) {
    return new Error(
      redactSecrets(typeof cause === 'string' ? cause : cause === null ? 'null' : `a thrown ${typeof cause}`),
    );
  }
  const inner = cause.cause;
  const copy = new Error(
    redactSecrets(cause.message),
    inner === undefined ? undefined : { cause: sanitizeCause(inner, depth + 1) },
  );
  copy.name = cause.name;
  copy.stack = redactSecrets(cause.stack ?? '');
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') {
    Object.defineProperty(copy, 'code', { value: code, enumerable: true });
  }
  return copy;
}
