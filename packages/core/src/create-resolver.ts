import { AuthError, type AuthErrorCode } from './auth-error.ts';
import type { KeyKind } from './classify-key.ts';
import type { CredentialSource, SourceReading } from './credential-source.ts';
import { Credentials } from './credentials.ts';
import { detectRuntime, isBrowserLike, type Runtime } from './detect-runtime.ts';
import { maskKey } from './mask-key.ts';
import { defaultBaseURL, validateBaseURL } from './validate-base-url.ts';
import {
  type CredentialField,
  credentialFields,
  validateCredentialValue,
} from './validate-credential-value.ts';

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

/**
 * Creates a resolver over credential sources. Per field, the first source that has a value wins; an explicit
 * `null` stops the search; a misconfigured source (conflicting variables, an unreadable secret file, a failing
 * provider) fails closed with a typed error instead of falling through to a later source.
 *
 * @example
 * const resolver = createResolver({
 *   sources: [fromValues({ organization: null }), fromEnv((name) => env[name])],
 * });
 * const headers = buildAuthHeaders(await resolver.resolve());
 */
export function createResolver(options: ResolverOptions): CredentialResolver {
  const runtime = options.runtime ?? detectRuntime();
  const refreshAheadMs = options.refreshAheadMs ?? 30_000;
  let cached: Credentials | undefined;
  let refreshAt = Infinity;
  let inflight: Promise<Credentials> | undefined;
  let refreshError: AuthError | undefined;

  const load = (refresh: boolean): Promise<Credentials> => {
    if (inflight) return inflight;
    const flight: Promise<Credentials> = run(options, runtime, refresh)
      .then(({ credentials, error }) => {
        if (!credentials) throw error;
        // After an invalidate() this flight is stale: its callers get the value, the cache does not.
        if (inflight === flight) {
          const { expiresAt } = credentials;
          cached = credentials;
          refreshAt =
            expiresAt === undefined
              ? Infinity
              : expiresAt - Math.min(refreshAheadMs, (expiresAt - Date.now()) / 2);
          refreshError = undefined;
        }
        return credentials;
      })
      .finally(() => {
        if (inflight === flight) inflight = undefined;
      });
    inflight = flight;
    return flight;
  };

  return {
    async resolve() {
      const current = cached;
      const now = Date.now();
      if (current && now < refreshAt) return current;
      // Refreshing ahead of expiry: the current value keeps serving while one background load replaces it.
      if (current && now < current.expiresAt!) {
        load(true).catch((error: AuthError) => {
          refreshError = error;
        });
        return current;
      }
      return load(false);
    },
    invalidate(stale) {
      if (stale !== undefined && stale !== cached) return;
      cached = undefined;
      inflight = undefined;
      refreshAt = Infinity;
      for (const source of options.sources) source.invalidate?.();
    },
    async report() {
      const { credentials, error, fields, warnings } = await run(options, runtime, false);
      if (refreshError) {
        warnings.push({
          code: 'refresh_failed',
          message: `Background refresh failed: ${refreshError.message}`,
        });
      }
      const report: CredentialReport = { ok: credentials !== undefined, runtime, fields, warnings };
      if (credentials) {
        report.key = { kind: credentials.keyKind, masked: maskKey(credentials.apiKey) };
        if (credentials.expiresAt !== undefined)
          report.expiresAt = new Date(credentials.expiresAt).toISOString();
      }
      if (error) report.error = { code: error.code, message: error.message };
      return report;
    },
  };
}

async function run(options: ResolverOptions, runtime: Runtime, refresh: boolean): Promise<Outcome> {
  const fields = {} as Record<CredentialField, FieldReport>;
  for (const field of credentialFields) fields[field] = { attempts: [] };
  const warnings: ReportWarning[] = [];
  // A field is decided once it has an origin: a value was found, or an explicit `null` stopped the search.
  const values: Partial<Record<CredentialField, string>> = {};
  let expiresAt: number | undefined;
  const fail = (error: AuthError): Outcome => ({ error, fields, warnings });

  for (const source of options.sources) {
    const { name } = source;
    const wanted = source.fields.filter((field) => {
      if (fields[field].origin === undefined) return true;
      fields[field].attempts.push({ source: name, origin: name, outcome: 'not asked' });
      return false;
    });
    if (wanted.length === 0) continue;
    let reading: SourceReading;
    try {
      reading = await source.read({ fields: wanted, refresh });
    } catch (error) {
      const typed = AuthError.is(error)
        ? error
        : new AuthError('provider_failed', `The source "${name}" failed.`, { cause: error });
      for (const field of wanted)
        fields[field].attempts.push({ source: name, origin: name, outcome: 'error', detail: typed.message });
      return fail(typed);
    }
    for (const field of wanted) {
      const result = reading.fields[field];
      if (!result) continue;
      const { origin, status } = result;
      const attempts = fields[field].attempts;
      if (status === 'absent') {
        attempts.push({ source: name, origin, outcome: 'absent', detail: result.detail });
        if (result.detail.startsWith('env not readable'))
          warnings.push({ code: 'source_unreadable', message: result.detail });
      } else if (status === 'error') {
        attempts.push({ source: name, origin, outcome: 'error', detail: result.error.message });
        return fail(result.error);
      } else {
        attempts.push({ source: name, origin, outcome: status === 'found' ? 'used' : 'stopped' });
        fields[field].origin = origin;
        if (status === 'found') {
          values[field] = result.value;
          if (reading.expiresAt !== undefined) expiresAt = Math.min(expiresAt ?? Infinity, reading.expiresAt);
        }
      }
    }
  }

  const { apiKey, organization, project } = values;
  if (apiKey === undefined) {
    const looked = fields.apiKey.attempts.map(
      (attempt) => `${attempt.origin} (${attempt.detail ?? attempt.outcome})`,
    );
    return fail(
      new AuthError(
        'missing_credentials',
        `No API key in ${looked.join('; ') || 'no sources'}. Set OPENAI_API_KEY or OPENAI_API_KEY_FILE, or pass { apiKey }.`,
      ),
    );
  }

  try {
    for (const field of ['apiKey', 'organization', 'project'] as const) {
      const found = values[field];
      if (found !== undefined) validateCredentialValue(field, found, fields[field].origin ?? field);
    }
    const baseURL = validateBaseURL(values.baseURL ?? defaultBaseURL, fields.baseURL.origin ?? 'the default');
    const credentials = new Credentials({
      apiKey,
      organization,
      project,
      baseURL,
      expiresAt,
      origins: Object.fromEntries(
        credentialFields.flatMap((field) => (fields[field].origin ? [[field, fields[field].origin]] : [])),
      ),
    });
    fields.apiKey.value = maskKey(apiKey);
    if (organization !== undefined) fields.organization.value = organization;
    if (project !== undefined) fields.project.value = project;
    fields.baseURL.value = baseURL;
    fields.baseURL.origin ??= 'default';
    warnings.push(...keyWarnings(credentials, runtime));
    const kind = credentials.keyKind;
    const from = credentials.origins.apiKey;
    if (isBrowserLike(runtime) && kind !== 'ephemeral' && !options.dangerouslyAllowBrowser) {
      return fail(
        new AuthError(
          'browser_exposure',
          `A ${kind} key (from ${from}) would be exposed in this browser: call OpenAI from a backend, ` +
            'use an ek_ key, or set dangerouslyAllowBrowser for a local demo.',
        ),
      );
    }
    if (options.allowedKeyKinds && !options.allowedKeyKinds.includes(kind)) {
      return fail(
        new AuthError(
          'key_kind_not_allowed',
          `A ${kind} key (from ${from}) is not allowed here; allowed: ${options.allowedKeyKinds.join(', ')}.`,
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
  const warn = (code: ReportWarning['code'], message: string) => warnings.push({ code, message });
  const { keyKind: kind, organization, project, origins } = credentials;
  if (kind === 'user') warn('user_key', 'A legacy user key (sk-…): use a project key (sk-proj-…).');
  if (kind === 'admin') {
    warn('admin_key', 'An admin key (sk-admin-…) is for /organization/* endpoints: use a project key here.');
  }
  // Ephemeral secrets are made for browsers; on a server they are a mistake.
  if (kind === 'ephemeral' && !isBrowserLike(runtime)) {
    warn(
      'ephemeral_key_on_server',
      'An ephemeral ek_ secret on a server expires in minutes: use a project key here.',
    );
  }
  if (kind === 'unknown') {
    warn('unknown_key_format', 'The key does not start with sk- or ek_: is it an OpenAI API key?');
  } else if (kind !== 'ephemeral' && !credentials.apiKey.includes('T3BlbkFJ')) {
    warn('unknown_key_format', 'The key lacks the OpenAI marker: was it copied whole?');
  }
  if (organization !== undefined && !organization.startsWith('org-')) {
    warn(
      'unusual_organization_id',
      `The organization ID (from ${origins.organization}) does not start with org-: is it an ID, not a name?`,
    );
  }
  if (project !== undefined && !project.startsWith('proj_')) {
    warn(
      'unusual_project_id',
      `The project ID (from ${origins.project}) does not start with proj_: is it an ID, not a name?`,
    );
  }
  return warnings;
}
