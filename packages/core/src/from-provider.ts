import { AuthError } from './auth-error.ts';
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

/** Loads a secret from a key management service, a vault, a credential process. */
export type ProviderLoad = (context: {
  signal: AbortSignal;
  reason: ProviderLoadReason;
}) => ProviderValue | undefined | Promise<ProviderValue | undefined>;

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
  let cached: SourceReading | undefined;
  let inflight: Promise<SourceReading> | undefined;
  let failure: { at: number; error: AuthError } | undefined;

  const loadOnce = async (reason: ProviderLoadReason): Promise<SourceReading> => {
    const value = await withTimeout(
      timeoutMs,
      (signal) => load({ signal, reason }),
      () =>
        new AuthError('provider_timeout', `The ${name} did not answer within ${timeoutMs} ms.`, {
          details: { source: name },
        }),
    ).catch((error: unknown) => {
      if (AuthError.is(error)) throw error;
      throw new AuthError(
        'provider_failed',
        `The ${name} failed: ${(error as Error)?.message ?? String(error)}`,
        {
          cause: error,
          details: { source: name },
        },
      );
    });
    return toReading(value, name, fields, ttlMs);
  };

  return {
    name,
    fields,
    read(request) {
      const now = Date.now();
      if (!request.refresh && cached && (cached.expiresAt === undefined || now < cached.expiresAt))
        return cached;
      if (failure && now - failure.at < backoffMs) return Promise.reject(failure.error);
      inflight ??= loadOnce(cached ? (request.refresh ? 'refresh' : 'expired') : 'initial')
        .then(
          (reading) => {
            cached = reading;
            failure = undefined;
            return reading;
          },
          (error: AuthError) => {
            failure = { at: Date.now(), error };
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
      failure = undefined;
    },
  };
}

function toReading(
  value: ProviderValue | undefined,
  name: string,
  fields: readonly CredentialField[],
  ttlMs: number,
): SourceReading {
  const record = typeof value === 'string' ? { apiKey: value } : value;
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof record.apiKey !== 'string' ||
    record.apiKey.trim() === ''
  ) {
    const got =
      typeof record === 'object' && record !== null
        ? 'an object without a non-empty apiKey'
        : String(typeof value);
    throw new AuthError(
      'provider_failed',
      `The ${name} returned no key (got ${got}); it must return a string or { apiKey }.`,
      {
        details: { source: name },
      },
    );
  }
  const out: Partial<Record<CredentialField, FieldReading>> = {};
  for (const field of fields) {
    const raw = record[field as keyof typeof record];
    const origin = name;
    out[field] =
      raw === undefined
        ? { status: 'absent', origin, detail: 'not returned' }
        : readingOf(field, raw, origin);
  }
  const expiry = record.expiresAt instanceof Date ? record.expiresAt.getTime() : record.expiresAt;
  const expiresAt =
    typeof expiry === 'number' && Number.isFinite(expiry) ? expiry : Date.now() + (record.ttlMs ?? ttlMs);
  return { fields: out, expiresAt };
}
