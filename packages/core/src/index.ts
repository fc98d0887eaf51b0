/**
 * `@auth/core`: OpenAI API authentication for every JavaScript runtime, on Web standards only.
 *
 * Resolve credentials from options, environment, secret files or a key-management provider; build the validated
 * `Authorization` / `OpenAI-Organization` / `OpenAI-Project` header set; send with an auth `fetch` that never
 * leaks a key to another origin. Runtime capabilities (reading env, files) come in as parameters: the runtime
 * adapters `@auth/node`, `@auth/deno` and `@auth/bun` supply them.
 *
 * @example
 * import { buildAuthHeaders, createResolver, fromEnv } from '@auth/core';
 *
 * // `env`: the runtime's variables, e.g. a Worker's `env` bindings (on Node, Deno and Bun use the adapters).
 * const resolver = createResolver({ sources: [fromEnv((name) => env[name])] });
 * const credentials = await resolver.resolve();
 * const response = await fetch(`${credentials.baseURL}/models`, { headers: buildAuthHeaders(credentials) });
 *
 * @module
 */

/**
 * The library's one error class, with a `code` from {@link AuthErrorCode}. Never contains a key.
 *
 * @example
 * try { await resolver.resolve(); } catch (error) {
 *   if (AuthError.is(error) && error.code === 'missing_credentials') console.error(error.message);
 * }
 */
export { AuthError, type AuthErrorCode, type AuthErrorOptions } from './auth-error.ts';
/**
 * Builds the validated header set.
 *
 * @example
 * const headers = buildAuthHeaders({ apiKey, project: 'proj_abc' });
 */
export { type AuthHeaderInput, type AuthHeaders, buildAuthHeaders } from './build-auth-headers.ts';
/**
 * Tells a key's kind by its prefix.
 *
 * @example
 * if (classifyKey(key) === 'admin') throw new Error('use a project key');
 */
export { classifyKey, type KeyKind } from './classify-key.ts';
/**
 * An auth `fetch` for the API origin.
 *
 * @example
 * const authFetch = createAuthFetch({ resolver });
 * const response = await authFetch('/models');
 */
export {
  type AuthFetch,
  type AuthFetchOptions,
  createAuthFetch,
  type DebugLogger,
} from './create-auth-fetch.ts';
/**
 * The resolver: cached, single-flight, explained.
 *
 * @example
 * const resolver = createResolver({ sources: [fromEnv((name) => env[name])] });
 * console.log(formatReport(await resolver.report()));
 */
export {
  type CredentialReport,
  type CredentialResolver,
  createResolver,
  type FieldAttempt,
  type FieldReport,
  type ReportWarning,
  type ResolverOptions,
} from './create-resolver.ts';
/**
 * The contract of a credential source and the ports adapters provide.
 *
 * @example
 * const readEnv: EnvReader = (name) => env[name];
 */
export {
  type CredentialSource,
  type EnvReader,
  envNames,
  type FieldReading,
  fileEnvNames,
  type SourceReading,
  type SourceRequest,
  type TextFileReader,
} from './credential-source.ts';
/**
 * A resolved, immutable credential set whose key never shows in logs or JSON.
 *
 * @example
 * const credentials = await resolver.resolve();
 * console.log(String(credentials)); // Credentials(sk-proj-…Ab12, project)
 */
export {
  type CredentialInit,
  type CredentialOrigins,
  Credentials,
  type CredentialsView,
} from './credentials.ts';
/**
 * Tells the runtime.
 *
 * @example
 * detectRuntime(); // 'node'
 */
export { detectRuntime, isBrowserLike, type Runtime } from './detect-runtime.ts';
/**
 * Plain-text rendering of a report.
 *
 * @example
 * console.log(formatReport(await resolver.report()));
 */
export { formatReport } from './format-report.ts';
/**
 * Environment variables as a source.
 *
 * @example
 * fromEnv((name) => env[name]);
 */
export { fromEnv } from './from-env.ts';
/**
 * An async key-management provider as a source.
 *
 * @example
 * fromProvider(async () => ({ apiKey: await vault.read('openai'), ttlMs: 600_000 }));
 */
export {
  fromProvider,
  type ProviderLoad,
  type ProviderLoadReason,
  type ProviderOptions,
  type ProviderValue,
} from './from-provider.ts';
/**
 * `*_FILE` secret files as a source.
 *
 * @example
 * fromSecretFiles((name) => env[name], (path) => readFile(path, 'utf8'));
 */
export { fromSecretFiles, type SecretFileOptions } from './from-secret-files.ts';
/**
 * Explicit values as a source.
 *
 * @example
 * fromValues({ apiKey, organization: null });
 */
export { type CredentialValues, fromValues } from './from-values.ts';
/**
 * A key's safe fingerprint.
 *
 * @example
 * maskKey(key); // 'sk-proj-…Ab12'
 */
export { maskKey } from './mask-key.ts';
/**
 * A loggable copy of headers.
 *
 * @example
 * console.debug(redactHeaders(request.headers));
 */
export { redactHeaders } from './redact-headers.ts';
/**
 * Masks key-shaped text.
 *
 * @example
 * console.error(redactSecrets(String(error)));
 */
export { redactSecrets } from './redact-secrets.ts';
/**
 * Base URL rules: https, or http on loopback.
 *
 * @example
 * validateBaseURL('http://127.0.0.1:8080/v1');
 */
export { defaultBaseURL, isLoopback, validateBaseURL } from './validate-base-url.ts';
/** The credential fields. */
export type { CredentialField } from './validate-credential-value.ts';
