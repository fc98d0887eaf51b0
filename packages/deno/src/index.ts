/**
 * `@auth/deno`: OpenAI API authentication for Deno.
 *
 * Everything from `@auth/core`, bound to Deno: credentials from options, `Deno.env` (`OPENAI_API_KEY`,
 * `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID`, `OPENAI_BASE_URL`), secret files (`*_FILE`), a credential process
 * (`Deno.Command`) or your key-management provider; an auth `fetch` on Deno's own client; options for the
 * official `openai` SDK. Without `--allow-env` nothing crashes and no prompt opens: the report names the
 * flag.
 *
 * @example
 * ```ts
 * import OpenAI from 'npm:openai';
 * import { openaiClientOptions } from 'jsr:@auth/deno';
 *
 * // deno run --allow-net=api.openai.com \
 * //   --allow-env=OPENAI_API_KEY,OPENAI_ORG_ID,OPENAI_PROJECT_ID,OPENAI_BASE_URL,OPENAI_LOG main.ts
 * const client = new OpenAI(openaiClientOptions());
 * const models = await client.models.list();
 * ```
 *
 * @module
 */

/**
 * Core's types of the auth `fetch` (core's own `createAuthFetch` is replaced by the option-based one).
 *
 * @example
 * ```ts
 * const log: DebugLogger = (message, details) => console.debug(message, details);
 * const authFetch: AuthFetch = createAuthFetch({ debug: log });
 * ```
 */
/**
 * The resolver's types (core's own `createResolver({ sources })` is reached through the `sources` option).
 *
 * @example
 * ```ts
 * const report: CredentialReport = await createResolver().report();
 * ```
 */
/**
 * The credential fields: `'apiKey' | 'organization' | 'project' | 'baseURL'`.
 *
 * @example
 * ```ts
 * const fields: CredentialField[] = ['apiKey', 'project'];
 * ```
 */
export type {
  AuthFetch,
  AuthFetchOptions,
  CredentialField,
  CredentialReport,
  CredentialResolver,
  DebugLogger,
  FieldAttempt,
  FieldReport,
  ReportWarning,
  ResolverOptions,
} from '@auth/core';
/**
 * The library's one error class; `AuthError.is` works across copies.
 *
 * @example
 * ```ts
 * try {
 *   await resolveCredentials();
 * } catch (error) {
 *   if (AuthError.is(error) && error.code === 'missing_credentials') console.error(error.message);
 * }
 * ```
 */
/**
 * The validated header set.
 *
 * @example
 * ```ts
 * const headers = buildAuthHeaders({ apiKey: Deno.env.get('OPENAI_API_KEY')!, project: 'proj_abc123' });
 * ```
 */
/**
 * A key's kind, by prefix.
 *
 * @example
 * ```ts
 * if (classifyKey(key) === 'admin') throw new Error('use a project key');
 * ```
 */
/**
 * The contract of a credential source, the ports, and the variable names.
 *
 * @example
 * ```ts
 * console.log(envNames.apiKey, fileEnvNames.apiKey); // OPENAI_API_KEY OPENAI_API_KEY_FILE
 * ```
 */
/**
 * A resolved, immutable credential set whose key never shows in logs or JSON.
 *
 * @example
 * ```ts
 * const credentials: Credentials = await resolveCredentials();
 * console.log(JSON.stringify(credentials)); // {"apiKey":"sk-proj-…Ab12",…}
 * ```
 */
/**
 * The runtime the code runs on.
 *
 * @example
 * ```ts
 * detectRuntime(); // 'deno'
 * ```
 */
/**
 * A report as plain text.
 *
 * @example
 * ```ts
 * console.log(formatReport(await createResolver().report()));
 * ```
 */
/**
 * Environment variables as a source, for custom `sources` chains.
 *
 * @example
 * ```ts
 * createResolver({ sources: [fromEnv(readEnv)] });
 * ```
 */
/**
 * An async key-management provider as a source.
 *
 * @example
 * ```ts
 * const provider = fromProvider(async () => ({ apiKey: await vault.read('openai'), ttlMs: 600_000 }));
 * createResolver({ provider });
 * ```
 */
/**
 * `*_FILE` secret files as a source, for custom `sources` chains.
 *
 * @example
 * ```ts
 * createResolver({ sources: [fromSecretFiles(readEnv, readTextFile)] });
 * ```
 */
/**
 * Explicit values as a source.
 *
 * @example
 * ```ts
 * createResolver({ sources: [fromValues({ apiKey: key, organization: null })] });
 * ```
 */
/**
 * A key's safe fingerprint.
 *
 * @example
 * ```ts
 * maskKey(key); // 'sk-proj-…Ab12'
 * ```
 */
/**
 * A loggable copy of headers.
 *
 * @example
 * ```ts
 * console.debug(redactHeaders(request.headers));
 * ```
 */
/**
 * Masks key-shaped text.
 *
 * @example
 * ```ts
 * console.error(redactSecrets(String(error)));
 * ```
 */
/**
 * Base URL rules: https, or http on loopback.
 *
 * @example
 * ```ts
 * validateBaseURL('http://127.0.0.1:8080/v1'); // 'http://127.0.0.1:8080/v1'
 * ```
 */
export {
  AuthError,
  type AuthErrorCode,
  type AuthErrorOptions,
  type AuthHeaderInput,
  type AuthHeaders,
  buildAuthHeaders,
  type CredentialInit,
  type CredentialOrigins,
  type CredentialSource,
  Credentials,
  type CredentialsView,
  type CredentialValues,
  classifyKey,
  defaultBaseURL,
  detectRuntime,
  type EnvReader,
  envNames,
  type FieldReading,
  fileEnvNames,
  formatReport,
  fromEnv,
  fromProvider,
  fromSecretFiles,
  fromValues,
  isBrowserLike,
  isLoopback,
  type KeyKind,
  maskKey,
  type ProviderLoad,
  type ProviderLoadReason,
  type ProviderOptions,
  type ProviderValue,
  type Runtime,
  redactHeaders,
  redactSecrets,
  type SecretFileOptions,
  type SourceReading,
  type SourceRequest,
  type TextFileReader,
  validateBaseURL,
} from '@auth/core';
/**
 * Where credentials come from: explicit values, then `OPENAI_*`, then `OPENAI_*_FILE`, then a provider.
 *
 * @example
 * ```ts
 * const provider = fromCommand('pass', ['show', 'openai/api-key']);
 * const options: AuthOptions = { organization: null, provider };
 * ```
 */
export type { AuthOptions } from './auth-options.ts';
/**
 * An auth `fetch` on Deno's `fetch` (which honours `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` by itself).
 *
 * @example
 * ```ts
 * const authFetch = createAuthFetch();
 * const models = await (await authFetch('/models')).json();
 * ```
 */
export { type CreateAuthFetchOptions, createAuthFetch } from './create-auth-fetch.ts';
/**
 * The resolver with Deno's default chain: options → `Deno.env` → secret files → provider.
 *
 * @example
 * ```ts
 * const resolver = createResolver({ project: 'proj_abc123' });
 * console.log(formatReport(await resolver.report()));
 * ```
 */
export { createResolver } from './create-resolver.ts';
/**
 * A credential process as a source, run with `Deno.Command` (needs `--allow-run=<command>`).
 *
 * @example
 * ```ts
 * const resolver = createResolver({ provider: fromCommand('op', ['read', 'op://dev/openai/credential']) });
 * ```
 */
export { type FromCommandOptions, fromCommand } from './from-command.ts';
/**
 * Options for `new OpenAI(...)` of the official SDK, with credentials resolved per request.
 *
 * @example
 * ```ts
 * import OpenAI from 'npm:openai';
 * const client = new OpenAI(openaiClientOptions({ project: 'proj_abc123' }));
 * ```
 */
export {
  type OpenAIClientOptions,
  type OpenAIClientOptionsInput,
  openaiClientOptions,
} from './openai-client-options.ts';
/**
 * Deno's environment reader (`Deno.env.get`, no permission prompt), as core's `EnvReader` port.
 *
 * @example
 * ```ts
 * const source = fromEnv(readEnv);
 * ```
 */
export { readEnv } from './read-env.ts';
/**
 * A bounded secret file reader on `Deno.open` (refuses FIFOs and directories), as core's `TextFileReader`
 * port.
 *
 * @example
 * ```ts
 * const source = fromSecretFiles(readEnv, readTextFile, { ttlMs: 60_000 });
 * ```
 */
export { type ReadTextFileOptions, readTextFile } from './read-text-file.ts';
/**
 * Resolves credentials once.
 *
 * @example
 * ```ts
 * const credentials = await resolveCredentials();
 * console.log(String(credentials)); // Credentials(sk-proj-…Ab12, project)
 * ```
 */
export { resolveCredentials } from './resolve-credentials.ts';
