import { AuthError, type AuthErrorCode } from './auth-error.ts';
import type { CredentialSource, FieldReading, SourceReading } from './credential-source.ts';
import { readingOf } from './from-values.ts';
import type { CredentialField } from './validate-credential-value.ts';
import { withTimeout } from './with-timeout.ts';

/** What a provider may return: the key alone, or the key with its companions and lifetime. */
export type ProviderValue =
  | string
  | {
      apiKey: string;
      organization?: string | undefined;
      project?: string | undefined;
      baseURL?: string | undefined;
      /** When the key stops working (epoch ms or a Date). Wins over `ttlMs`. */
      expiresAt?: number | Date | undefined;
      /** How long to keep the key, from now. */
      ttlMs?: number | undefined;
    };

/** Why the provider is being called. */
export type ProviderLoadReason = 'initial' | 'expired' | 'refresh';

/** Loads a secret from a key management service, a vault, or a command such as `pass` or `op`. */
export type ProviderLoad = (context: {
  signal: AbortSignal;
  reason: ProviderLoadReason;
}) => ProviderValue | undefined | Promise<ProviderValue | undefined>;

// A provider's reading always has an expiry: its own, or the TTL.
interface TimedReading extends SourceReading {
  readonly expiresAt: number;
}

/** Options of {@link fromProvider}. */
export interface ProviderOptions {
  /** Name in reports and errors. Default 'provider'. */
  name?: string;
  /** How long a loaded value is kept when the provider gives no expiry. Default 5 minutes. */
  ttlMs?: number;
  /** A load that takes longer fails with `provider_timeout`. Default 10 s. */
  timeoutMs?: number;
  /** After a failure, calls within this window fail at once without calling again. Default 1 s. */
  failureBackoffMs?: number;
  /** The fields this provider decides. Default `['apiKey']`; add the others when it returns them. */
  fields?: readonly CredentialField[];
}

/**
 * An async credential provider (AWS Secrets Manager, Vault, 1Password, GCP Secret Manager…), cached until its
 * expiry, single-flight (N concurrent callers share one load), bounded by a timeout, with a short back-off
 * after a failure so an outage does not turn into a storm of calls.
 *
 * @example
 * fromProvider(async ({ signal }) => {
 *   const secret = await secrets.getSecretValue({ SecretId: 'openai' }, { abortSignal: signal });
 *   return { apiKey: secret.SecretString!, ttlMs: 10 * 60_000 };
 * });
 */
export function fromProvider(load: ProviderLoad, options: ProviderOptions = {}): CredentialSource {
  const name = options.name ?? 'provider';
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const backoffMs = options.failureBackoffMs ?? 1000;
  const fields = options.fields ?? ['apiKey'];
  const failure = (code: AuthErrorCode, problem: string, cause?: unknown) =>
    new AuthError(code, `The ${name} ${problem}.`, { cause, details: { source: name } });
  let cached: TimedReading | undefined;
  let inflight: Promise<TimedReading> | undefined;
  let failed: { at: number; error: AuthError } | undefined;

  const loadOnce = async (reason: ProviderLoadReason): Promise<TimedReading> => {
    let value: ProviderValue | undefined;
    try {
      value = await withTimeout(
        timeoutMs,
        (signal) => load({ signal, reason }),
        () => failure('provider_timeout', `did not answer within ${timeoutMs} ms (timeoutMs)`),
      );
    } catch (error) {
      throw AuthError.is(error)
        ? error
        : failure(
            'provider_failed',
            `failed: ${(error as Error | undefined)?.message ?? String(error)}`,
            error,
          );
    }
    const record = typeof value === 'string' ? { apiKey: value } : value;
    if (typeof record?.apiKey !== 'string' || record.apiKey.trim() === '') {
      throw failure(
        'provider_failed',
        `returned no usable key (got ${typeof value}); return a non-empty string or { apiKey }`,
      );
    }
    const readings: Partial<Record<CredentialField, FieldReading>> = {};
    for (const field of fields) {
      const raw = record[field as keyof typeof record];
      readings[field] =
        raw === undefined
          ? { status: 'absent', origin: name, detail: 'not returned' }
          : readingOf(field, raw, name);
    }
    const expiry = record.expiresAt instanceof Date ? record.expiresAt.getTime() : record.expiresAt;
    const expiresAt = Number.isFinite(expiry) ? (expiry as number) : Date.now() + (record.ttlMs ?? ttlMs);
    return { fields: readings, expiresAt };
  };

  return {
    name,
    fields,
    read(request) {
      const now = Date.now();
      if (!request.refresh && cached && now < cached.expiresAt) return cached;
      if (failed && now - failed.at < backoffMs) return Promise.reject(failed.error);
      inflight ??= loadOnce(cached ? (request.refresh ? 'refresh' : 'expired') : 'initial')
        .then(
          (reading) => {
            cached = reading;
            failed = undefined;
            return reading;
          },
          (error: AuthError) => {
            failed = { at: Date.now(), error };
            throw error;
          },
        )
        .finally(() => {
          inflight = undefined;
        });
      return inflight;
    },
    invalidate() {
      cached = undefined;
      failed = undefined;
    },
  };
}
