import type { AuthError } from './auth-error.ts';
import type { CredentialField } from './validate-credential-value.ts';

/** What one source says about one field. */
export type FieldReading =
  /** A non-empty, trimmed value. */
  | { readonly status: 'found'; readonly value: string; readonly origin: string }
  /** An explicit `null`: the field is unset and no later source is asked. */
  | { readonly status: 'stop'; readonly origin: string }
  /** Nothing here; `detail` says why ("not set", "empty", "not readable: …"). */
  | { readonly status: 'absent'; readonly origin: string; readonly detail: string }
  /** The source is misconfigured for this field: resolution stops with this error (fail closed). */
  | { readonly status: 'error'; readonly origin: string; readonly error: AuthError };

/** One reading of a source. */
export interface SourceReading {
  readonly fields: Readonly<Partial<Record<CredentialField, FieldReading>>>;
  /** Epoch ms after which values from this reading must be read again. */
  readonly expiresAt?: number | undefined;
}

/** What the resolver asks a source for. */
export interface SourceRequest {
  /** The fields still undecided that this source provides. */
  readonly fields: readonly CredentialField[];
  /** True when the cached value is about to expire or was invalidated: skip any cache. */
  readonly refresh: boolean;
}

/**
 * A place credentials come from. Sources are asked in order, field by field; a source is only read when it
 * could still decide a field. Write your own to plug in anything `fromProvider` does not cover.
 */
export interface CredentialSource {
  /** Short name for reports: 'options', 'env', 'secret files', 'provider'. */
  readonly name: string;
  readonly fields: readonly CredentialField[];
  read(request: SourceRequest): SourceReading | Promise<SourceReading>;
  /** Drop any cache, e.g. after the API answered 401 to its key. */
  invalidate?(): void;
}

/** Reads one environment variable; may throw when the runtime forbids it (Deno without `--allow-env`). */
export type EnvReader = (name: string) => string | undefined;

/**
 * Reads a whole text file; rejects when it cannot (missing, permissions, a directory). It should stop reading
 * past `maxBytes` and honour `signal`; core also enforces both, so a plain `readFile` is safe to pass.
 */
export type TextFileReader = (
  path: string,
  options: { maxBytes: number; signal: AbortSignal },
) => Promise<string>;

/** The environment variable of each field. */
export const envNames: Readonly<Record<CredentialField, string>> = {
  apiKey: 'OPENAI_API_KEY',
  organization: 'OPENAI_ORG_ID',
  project: 'OPENAI_PROJECT_ID',
  baseURL: 'OPENAI_BASE_URL',
};

/** The `_FILE` twin of each field that can be a secret file. */
export const fileEnvNames: Readonly<Partial<Record<CredentialField, string>>> = {
  apiKey: 'OPENAI_API_KEY_FILE',
  organization: 'OPENAI_ORG_ID_FILE',
  project: 'OPENAI_PROJECT_ID_FILE',
};
