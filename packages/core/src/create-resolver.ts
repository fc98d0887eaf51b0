import { AuthError, type AuthErrorCode } from './auth-error.ts';
import type { KeyKind } from './classify-key.ts';
import type { CredentialSource, FieldReading } from './credential-source.ts';
import { Credentials } from './credentials.ts';
import { detectRuntime, isBrowserLike, type Runtime } from './detect-runtime.ts';
import { maskKey } from './mask-key.ts';
import { defaultBaseURL, validateBaseURL } from './validate-base-url.ts';
import { type CredentialField, validateCredentialValue } from './validate-credential-value.ts';

/** Options of {@link createResolver}. */
export interface ResolverOptions {
  /** Asked in order, field by field: the first source with a value for a field decides it. */
  sources: readonly CredentialSource[];
  /** Let a secret key be used in a browser page or worker. Only for demos on your own machine. */
  dangerouslyAllowBrowser?: boolean | undefined;
  /** Refuse keys of other kinds with `key_kind_not_allowed` (the relay refuses admin keys this way). */
  allowedKeyKinds?: readonly KeyKind[] | undefined;
  /** Reload this long before expiry, in the background, while the current value keeps serving. Default 30 s. */
  refreshAheadMs?: number | undefined;
  /** The runtime to guard for; detected when not given. */
  runtime?: Runtime | undefined;
}

/** Resolves, caches and explains credentials. */
export interface CredentialResolver {
  /** The current credentials: cached, refreshed ahead of expiry, one load for any number of callers. */
  resolve(): Promise<Credentials>;
  /**
   * Forget the cached credentials (and the sources' caches) so the next `resolve()` loads again. Pass the
   * value that failed: if it is no longer the current one, another caller already refreshed and nothing happens.
   */
  invalidate(stale?: Credentials): void;
  /** What a person reads when something is wrong: where each field came from, what was tried, warnings. */
  report(): Promise<CredentialReport>;
}

/** One source's answer for one field, as the report tells it. */
export interface FieldAttempt {
  source: string;
  origin: string;
  outcome: 'used' | 'stopped' | 'absent' | 'error' | 'not asked';
  detail?: string;
}

/** Where one field came from. `value` is masked for the key. */
export interface FieldReport {
  value?: string;
  origin?: string;
  attempts: FieldAttempt[];
}

/** Something that works but deserves attention. */
export interface ReportWarning {
  code:
    | 'user_key'
    | 'admin_key'
    | 'ephemeral_key_on_server'
    | 'unknown_key_format'
    | 'unusual_organization_id'
    | 'unusual_project_id'
    | 'source_unreadable'
    | 'refresh_failed';
  message: string;
}

/** The result of {@link CredentialResolver.report}. Holds no secret: the key appears only masked. */
export interface CredentialReport {
  ok: boolean;
  runtime: Runtime;
  key?: { kind: KeyKind; masked: string };
  fields: Record<CredentialField, FieldReport>;
  warnings: ReportWarning[];
  error?: { code: AuthErrorCode; message: string };
  expiresAt?: string;
}

interface Outcome {
  credentials?: Credentials;
  error?: AuthError;
  fields: Record<CredentialField, FieldReport>;
  warnings: ReportWarning[];
}

const allFields: readonly CredentialField[] = ['apiKey', 'organization', 'project', 'baseURL'];

/**
 * Creates a resolver over credential sources. Per field, the first source that has a value wins; an explicit
 * `null` stops the search; a misconfigured source (conflicting variables, an unreadable secret file, a failing
 * provider) fails closed with a typed error instead of falling through to a later source.
 *
 * @example
 * const resolver = createResolver({
 *   sources: [fromValues({ organization: null }), fromEnv((name) => process.env[name])],
 * });
 * const headers = buildAuthHeaders(await resolver.resolve());
 */
export function createResolver(options: ResolverOptions): CredentialResolver {
  const runtime = options.runtime ?? detectRuntime();
  const refreshAheadMs = options.refreshAheadMs ?? 30_000;
  let cached: Credentials | undefined;
  let refreshAt = Number.POSITIVE_INFINITY;
  let inflight: Promise<Credentials> | undefined;
  let refreshError: AuthError | undefined;

  const load = (refresh: boolean): Promise<Credentials> => {
    if (inflight) return inflight;
    const flight: Promise<Credentials> = run(options, runtime, refresh)
      .then((outcome) => {
        if (!outcome.credentials) throw outcome.error;
        if (inflight === flight) {
          cached = outcome.credentials;
          const expiresAt = cached.expiresAt;
          const now = Date.now();
          refreshAt =
            expiresAt === undefined
              ? Number.POSITIVE_INFINITY
              : expiresAt - Math.min(refreshAheadMs, (expiresAt - now) / 2);
          refreshError = undefined;
        }
        return outcome.credentials;
      })
      .finally(() => {
        if (inflight === flight) inflight = undefined;
      });
    inflight = flight;
    return flight;
  };

  return {
    resolve() {
      const current = cached;
      if (current !== undefined) {
        if (current.expiresAt === undefined) return Promise.resolve(current);
        const now = Date.now();
        if (now < refreshAt) return Promise.resolve(current);
        if (now < current.expiresAt) {
          load(true).catch((error: AuthError) => {
            refreshError = error;
          });
          return Promise.resolve(current);
        }
      }
      return load(false);
    },
    invalidate(stale) {
      if (stale !== undefined && stale !== cached) return;
      cached = undefined;
      inflight = undefined;
      refreshAt = Number.POSITIVE_INFINITY;
      for (const source of options.sources) source.invalidate?.();
    },
    async report() {
      const outcome = await run(options, runtime, false);
      const report: CredentialReport = {
        ok: outcome.credentials !== undefined,
        runtime,
        fields: outcome.fields,
        warnings: outcome.warnings,
      };
      if (refreshError) {
        report.warnings.push({
          code: 'refresh_failed',
          message: `The last background refresh failed: ${refreshError.message}`,
        });
      }
      const credentials = outcome.credentials;
      if (credentials) {
        report.key = { kind: credentials.keyKind, masked: maskKey(credentials.apiKey) };
        if (credentials.expiresAt !== undefined)
          report.expiresAt = new Date(credentials.expiresAt).toISOString();
      }
      if (outcome.error) report.error = { code: outcome.error.code, message: outcome.error.message };
      return report;
    },
  };
}

async function run(options: ResolverOptions, runtime: Runtime, refresh: boolean): Promise<Outcome> {
  const fields = {} as Record<CredentialField, FieldReport>;
  for (const field of allFields) fields[field] = { attempts: [] };
  const warnings: ReportWarning[] = [];
  const decided: Partial<Record<CredentialField, FieldReading>> = {};
  let expiresAt: number | undefined;
  const fail = (error: AuthError): Outcome => ({ error, fields, warnings });

  for (const source of options.sources) {
    const wanted = source.fields.filter((field) => decided[field] === undefined);
    for (const field of source.fields) {
      if (decided[field] !== undefined)
        fields[field].attempts.push({ source: source.name, origin: source.name, outcome: 'not asked' });
    }
    if (wanted.length === 0) continue;
    let reading: Awaited<ReturnType<CredentialSource['read']>>;
    try {
      reading = await source.read({ fields: wanted, refresh });
    } catch (error) {
      const typed = AuthError.is(error)
        ? error
        : new AuthError('provider_failed', `The source "${source.name}" failed.`, { cause: error });
      for (const field of wanted)
        fields[field].attempts.push({
          source: source.name,
          origin: source.name,
          outcome: 'error',
          detail: typed.message,
        });
      return fail(typed);
    }
    for (const field of wanted) {
      const result = reading.fields[field];
      if (!result) continue;
      const attempt: FieldAttempt = { source: source.name, origin: result.origin, outcome: 'absent' };
      fields[field].attempts.push(attempt);
      if (result.status === 'absent') {
        attempt.detail = result.detail;
        if (result.detail.startsWith('env not readable'))
          warnings.push({ code: 'source_unreadable', message: result.detail });
        continue;
      }
      if (result.status === 'error') {
        attempt.outcome = 'error';
        attempt.detail = result.error.message;
        return fail(result.error);
      }
      attempt.outcome = result.status === 'found' ? 'used' : 'stopped';
      decided[field] = result;
      fields[field].origin = result.origin;
      if (result.status === 'found' && reading.expiresAt !== undefined) {
        expiresAt = Math.min(expiresAt ?? Number.POSITIVE_INFINITY, reading.expiresAt);
      }
    }
  }

  const value = (field: CredentialField): string | undefined => {
    const reading = decided[field];
    return reading?.status === 'found' ? reading.value : undefined;
  };
  const apiKey = value('apiKey');
  if (apiKey === undefined) {
    const looked = fields.apiKey.attempts.map(
      (attempt) => `${attempt.origin} (${attempt.detail ?? attempt.outcome})`,
    );
    return fail(
      new AuthError(
        'missing_credentials',
        `No OpenAI API key found. Looked at: ${looked.length ? looked.join('; ') : 'no sources'}. ` +
          'Set OPENAI_API_KEY, point OPENAI_API_KEY_FILE at a file that holds the key, or pass { apiKey }.',
      ),
    );
  }

  try {
    for (const field of ['apiKey', 'organization', 'project'] as const) {
      const found = value(field);
      if (found !== undefined) validateCredentialValue(field, found, fields[field].origin ?? field);
    }
    const baseURL = validateBaseURL(
      value('baseURL') ?? defaultBaseURL,
      fields.baseURL.origin ?? 'the default',
    );
    const credentials = new Credentials({
      apiKey,
      organization: value('organization'),
      project: value('project'),
      baseURL,
      expiresAt,
      origins: Object.fromEntries(
        allFields.flatMap((field) => (fields[field].origin ? [[field, fields[field].origin]] : [])),
      ),
    });
    fields.apiKey.value = maskKey(apiKey);
    for (const field of ['organization', 'project'] as const) {
      const found = value(field);
      if (found !== undefined) fields[field].value = found;
    }
    fields.baseURL.value = baseURL;
    fields.baseURL.origin ??= 'default';
    warnings.push(...keyWarnings(credentials, runtime));
    const kind = credentials.keyKind;
    if (isBrowserLike(runtime) && kind !== 'ephemeral' && !options.dangerouslyAllowBrowser) {
      return fail(
        new AuthError(
          'browser_exposure',
          `A secret ${kind} key (from ${credentials.origins.apiKey}) would be exposed to everyone who loads this page. ` +
            'Call OpenAI from your backend (see @auth/browser and the relay), use an ephemeral ek_ key, or set dangerouslyAllowBrowser: true for a local demo.',
        ),
      );
    }
    if (options.allowedKeyKinds && !options.allowedKeyKinds.includes(kind)) {
      return fail(
        new AuthError(
          'key_kind_not_allowed',
          `A ${kind} key (from ${credentials.origins.apiKey}) is not allowed here; allowed: ${options.allowedKeyKinds.join(', ')}.`,
          { details: { kind } },
        ),
      );
    }
    return { credentials, fields, warnings };
  } catch (error) {
    return fail(error as AuthError);
  }
}

function keyWarnings(credentials: Credentials, runtime: Runtime): ReportWarning[] {
  const warnings: ReportWarning[] = [];
  const kind = credentials.keyKind;
  const key = credentials.apiKey;
  if (kind === 'user') {
    warnings.push({
      code: 'user_key',
      message: 'This is a legacy user key (sk-…): create a project key (sk-proj-…) and use that instead.',
    });
  } else if (kind === 'admin') {
    warnings.push({
      code: 'admin_key',
      message:
        'This is an admin key (sk-admin-…): it is meant for /organization/* admin endpoints only; use a project key for API calls.',
    });
  } else if (kind === 'ephemeral' && !isBrowserLike(runtime)) {
    warnings.push({
      code: 'ephemeral_key_on_server',
      message:
        'This is an ephemeral Realtime secret (ek_…) on a server: it expires within minutes; use a project key here and mint ek_ secrets for browsers.',
    });
  } else if (kind === 'unknown') {
    warnings.push({
      code: 'unknown_key_format',
      message: 'The key does not start with sk- or ek_: check that it is an OpenAI API key.',
    });
  }
  if (kind !== 'unknown' && kind !== 'ephemeral' && !key.includes('T3BlbkFJ')) {
    warnings.push({
      code: 'unknown_key_format',
      message: 'The key has an unexpected shape for an OpenAI secret key: check that it was copied whole.',
    });
  }
  if (credentials.organization !== undefined && !credentials.organization.startsWith('org-')) {
    warnings.push({
      code: 'unusual_organization_id',
      message: `The organization ID (from ${credentials.origins.organization}) does not start with org-: check that it is an organization ID, not a name.`,
    });
  }
  if (credentials.project !== undefined && !credentials.project.startsWith('proj_')) {
    warnings.push({
      code: 'unusual_project_id',
      message: `The project ID (from ${credentials.origins.project}) does not start with proj_: check that it is a project ID, not a name.`,
    });
  }
  return warnings;
}
