/**
 * `@auth/node`: OpenAI API authentication for Node.js. Resolves the key, organization and project from explicit
 * options, `process.env`, `*_FILE` secret files, a credential command or a key-management provider; sends with
 * undici on a keep-alive pool (proxy-aware); and plugs into the official `openai` SDK. Everything of
 * `@auth/core` is re-exported, with `createResolver` and `createAuthFetch` replaced by option-based versions
 * bound to Node. The same names and options exist in `@auth/deno` and `@auth/bun`.
 *
 * @example
 * import OpenAI from 'openai';
 * import { openaiClientOptions } from '@auth/node';
 *
 * const client = new OpenAI(openaiClientOptions());
 * const completion = await client.chat.completions.create({
 *   model: 'gpt-4o-mini',
 *   messages: [{ role: 'user', content: 'Hello' }],
 * });
 *
 * @module
 */

// ---- Node bindings -------------------------------------------------------------------------------------

/**
 * Where credentials come from: explicit values, then `OPENAI_*`, then `OPENAI_*_FILE`, then a provider.
 *
 * @example
 * const options: AuthOptions = { organization: null, provider: fromCommand('pass', ['show', 'openai/api-key']) };
 */
export type { AuthOptions } from './auth-options.ts';
/**
 * An auth `fetch` on undici's keep-alive pool, proxy-aware (`HTTPS_PROXY`/`HTTP_PROXY`, `NO_PROXY`).
 *
 * @example
 * const authFetch = createAuthFetch({ project: 'proj_abc' });
 * const response = await authFetch('/models');
 */
export { type CreateAuthFetchOptions, createAuthFetch } from './create-auth-fetch.ts';
/**
 * The resolver with Node's default chain: options → `process.env` → secret files → provider.
 *
 * @example
 * const resolver = createResolver();
 * console.log(formatReport(await resolver.report()));
 */
export { createResolver } from './create-resolver.ts';
/**
 * A credential process (`pass`, `op`, `vault`, `aws`…) as a source: no shell, bounded time and output.
 *
 * @example
 * const authFetch = createAuthFetch({
 *   provider: fromCommand('vault', ['kv', 'get', '-field=api_key', 'secret/openai'], { ttlMs: 600_000 }),
 * });
 */
export { type FromCommandOptions, fromCommand } from './from-command.ts';
/**
 * Options for `new OpenAI(...)` of the official SDK: the key is resolved per request.
 *
 * @example
 * const client = new OpenAI(openaiClientOptions({ organization: null }));
 * for await (const chunk of await client.chat.completions.create({ model, messages, stream: true })) {
 *   process.stdout.write(chunk.choices[0]?.delta.content ?? '');
 * }
 */
export {
  type OpenAIClientOptions,
  type OpenAIClientOptionsInput,
  openaiClientOptions,
} from './openai-client-options.ts';
/**
 * Node's environment reader (`process.env`), as core's `EnvReader` port.
 *
 * @example
 * const source = fromEnv(readEnv);
 */
export { readEnv } from './read-env.ts';
/**
 * A bounded, non-blocking secret file reader (refuses FIFOs and directories), as core's `TextFileReader` port.
 *
 * @example
 * const source = fromSecretFiles(readEnv, readTextFile, { ttlMs: 60_000 });
 */
export { type ReadTextFileOptions, readTextFile } from './read-text-file.ts';
/**
 * Resolves credentials once with the default chain.
 *
 * @example
 * const credentials = await resolveCredentials({ project: null });
 * console.log(String(credentials)); // Credentials(sk-proj-…Ab12, project)
 */
export { resolveCredentials } from './resolve-credentials.ts';

// ---- Re-exported from @auth/core ----------------------------------------------------------------------

/**
 * The credential fields.
 *
 * @example
 * const fields: CredentialField[] = ['apiKey', 'project'];
 */
export type { CredentialField } from '@auth/core';
/**
 * The library's one error class, with a `code` from {@link AuthErrorCode}. Never contains a key.
 *
 * @example
 * try { await resolveCredentials(); } catch (error) {
 *   if (AuthError.is(error) && error.code === 'missing_credentials') console.error(error.message);
 * }
 */
/**
 * Builds the validated header set.
 *
 * @example
 * const headers = buildAuthHeaders({ apiKey: credentials.apiKey, project: 'proj_abc' });
 */
/**
 * Tells a key's kind by its prefix.
 *
 * @example
 * if (classifyKey(credentials.apiKey) === 'admin') throw new Error('use a project key');
 */
/**
 * The auth fetch's types (core's option type is the one with a required `resolver`).
 *
 * @example
 * const logger: DebugLogger = (message, details) => console.debug(message, details);
 * const authFetch: AuthFetch = createAuthFetch({ debug: logger });
 */
/**
 * The resolver's types.
 *
 * @example
 * const report: CredentialReport = await createResolver().report();
 * if (!report.ok) console.error(report.error?.message);
 */
/**
 * The contract of a credential source and the ports adapters provide.
 *
 * @example
 * const fixed: CredentialSource = fromValues({ organization: null });
 * console.log(envNames.apiKey, fileEnvNames.apiKey); // OPENAI_API_KEY OPENAI_API_KEY_FILE
 */
/**
 * A resolved, immutable credential set whose key never shows in logs or JSON.
 *
 * @example
 * const credentials = await resolveCredentials();
 * console.log(JSON.stringify(credentials)); // the key masked
 */
/**
 * Tells the runtime.
 *
 * @example
 * detectRuntime(); // 'node'
 */
/**
 * Plain-text rendering of a report.
 *
 * @example
 * console.log(formatReport(await createResolver().report()));
 */
/**
 * Environment variables as a source.
 *
 * @example
 * createResolver({ sources: [fromEnv(readEnv)] });
 */
/**
 * An async key-management provider as a source: cached, single-flight, bounded.
 *
 * @example
 * createResolver({ provider: fromProvider(async () => ({ apiKey: await vault.read('openai'), ttlMs: 600_000 })) });
 */
/**
 * `*_FILE` secret files as a source.
 *
 * @example
 * createResolver({ sources: [fromSecretFiles(readEnv, readTextFile)] });
 */
/**
 * Explicit values as a source.
 *
 * @example
 * createResolver({ sources: [fromValues({ apiKey: key, organization: null })] });
 */
/**
 * A key's safe fingerprint.
 *
 * @example
 * maskKey(credentials.apiKey); // 'sk-proj-…Ab12'
 */
/**
 * A loggable copy of headers.
 *
 * @example
 * console.debug(redactHeaders(request.headers));
 */
/**
 * Masks key-shaped text.
 *
 * @example
 * console.error(redactSecrets(String(error)));
 */
/**
 * Base URL rules: https, or http on loopback.
 *
 * @example
 * validateBaseURL('http://127.0.0.1:8080/v1');
 */
export {
  AuthError,
  type AuthErrorCode,
  type AuthErrorOptions,
  type AuthFetch,
  type AuthFetchOptions,
  type AuthHeaderInput,
  type AuthHeaders,
  buildAuthHeaders,
  type CredentialInit,
  type CredentialOrigins,
  type CredentialReport,
  type CredentialResolver,
  type CredentialSource,
  Credentials,
  type CredentialsView,
  type CredentialValues,
  classifyKey,
  type DebugLogger,
  defaultBaseURL,
  detectRuntime,
  type EnvReader,
  envNames,
  type FieldAttempt,
  type FieldReading,
  type FieldReport,
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
  type ReportWarning,
  type ResolverOptions,
  type Runtime,
  redactHeaders,
  redactSecrets,
  type SecretFileOptions,
  type SourceReading,
  type SourceRequest,
  type TextFileReader,
  validateBaseURL,
} from '@auth/core';
