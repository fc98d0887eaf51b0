/**
 * `@auth/bun`: OpenAI API authentication for Bun.
 *
 * Everything from `@auth/core`, bound to Bun: credentials from options, `Bun.env` (`OPENAI_API_KEY`,
 * `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID`, `OPENAI_BASE_URL`, `.env` files included), secret files (`*_FILE`,
 * read with `Bun.file`), a credential process (`Bun.spawn`) or your key-management provider; an auth `fetch`
 * on Bun's own client; options for the official `openai` SDK. The same names and options exist in
 * `@auth/node` and `@auth/deno`.
 *
 * @example
 * ```ts
 * import OpenAI from 'openai';
 * import { openaiClientOptions } from '@auth/bun';
 *
 * const client = new OpenAI(openaiClientOptions());
 * const models = await client.models.list();
 * ```
 *
 * @module
 */

import { createCommandRunner, createRuntimeAdapter, type RuntimeAdapter } from '@auth/core/adapter';
import { readEnv } from './read-env.ts';
import { readTextFile } from './read-text-file.ts';
import { spawnCommand } from './spawn-command.ts';

// Bun's ports; everything else of the adapter contract is core's.
const adapter = createRuntimeAdapter({
  runtime: 'bun',
  readEnv,
  readTextFile,
  // Bun's own client, looked up per call so a fetch replaced after start-up is the one used. It keeps
  // connections alive and honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY by itself
  // (https://bun.com/docs/guides/http/proxy), so there is no agent to set up.
  createFetch: () => (input, init) => fetch(input, init),
  runCommand: createCommandRunner(spawnCommand),
});

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
 * const headers = buildAuthHeaders({ apiKey: Bun.env.OPENAI_API_KEY!, project: 'proj_abc123' });
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
 * detectRuntime(); // 'bun'
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
 * Where credentials come from: explicit values, then `OPENAI_*`, then `OPENAI_*_FILE`, then a provider. The
 * auth fetch's and the SDK helper's options add to it.
 *
 * @example
 * ```ts
 * const provider = fromCommand('pass', ['show', 'openai/api-key']);
 * const options: AuthOptions = { organization: null, provider };
 * ```
 */
export type {
  AuthOptions,
  CreateAuthFetchOptions,
  FromCommandOptions,
  OpenAIClientOptions,
  OpenAIClientOptionsInput,
  ReadTextFileOptions,
} from '@auth/core/adapter';
/**
 * A `fetch` that adds `Authorization`, `OpenAI-Organization` and `OpenAI-Project` to requests for the API
 * origin only, resolves credentials per request (so rotation just works), never follows a redirect with
 * them, and sends with Bun's `fetch`. Bun's client keeps connections alive and honours `HTTPS_PROXY`,
 * `HTTP_PROXY` and `NO_PROXY` by itself, so there is no agent to set up. Paths starting with `/` are
 * relative to the base URL. A `baseURL` that is not https (or http on loopback) throws `invalid_base_url`
 * here.
 *
 * @example
 * ```ts
 * const authFetch = createAuthFetch();
 * const models = await (await authFetch('/models')).json();
 * ```
 */
export const createAuthFetch: RuntimeAdapter['createAuthFetch'] = adapter.createAuthFetch;
/**
 * A credential resolver for Bun. Per field (`apiKey`, `organization`, `project`, `baseURL`): explicit option
 * → `OPENAI_*` variable of `Bun.env` (which includes what Bun loaded from `.env` files) → secret file named
 * by `OPENAI_*_FILE` → `provider`. With `sources`, that list replaces the whole chain and goes to core's
 * resolver as is.
 *
 * @example
 * ```ts
 * const resolver = createResolver({ organization: null });
 * const credentials = await resolver.resolve();
 * console.log(formatReport(await resolver.report()));
 * ```
 */
export const createResolver: RuntimeAdapter['createResolver'] = adapter.createResolver;
/**
 * A credential process as a source, run with `Bun.spawn`: `pass`, `op read`, `vault kv get -field=…`,
 * `aws secretsmanager get-secret-value --query SecretString --output text`… No shell (arguments are passed
 * as they are: nothing is expanded or injected), stdin closed, at most `timeoutMs` (then SIGTERM, and SIGKILL
 * 2 s later), at most `maxBytes` read. The output, trimmed, is the key; or a JSON object
 * `{ "apiKey", "organization"?, "project"?, "expiresAt"? (epoch ms or ISO date), "ttlMs"? }`. A non-zero exit
 * is a `provider_failed` error naming the command and its exit code, with a redacted, truncated excerpt of
 * stderr; stdout is never shown. Built on `fromProvider`: cached, single-flight, brief back-off on failure.
 *
 * Arguments are visible to every user of the machine (`ps`): never put a secret in them.
 *
 * @example
 * ```ts
 * const provider = fromCommand('op', ['read', 'op://Private/OpenAI/credential']);
 * const resolver = createResolver({ provider });
 * ```
 */
export const fromCommand: RuntimeAdapter['fromCommand'] = adapter.fromCommand;
/**
 * Options for the official `openai` SDK (tested with 7.59 and 6.49 on Bun), synchronously: the key is
 * resolved per request by an auth fetch that replaces whatever `Authorization` the SDK set, so rotation,
 * providers, secret files and 401 refreshes work, and the key never sits in the client object. `baseURL`
 * comes from the option, else `OPENAI_BASE_URL`, else the default, validated now.
 *
 * @example
 * ```ts
 * import OpenAI from 'openai';
 *
 * const client = new OpenAI(openaiClientOptions());
 * const models = await client.models.list();
 * ```
 */
export const openaiClientOptions: RuntimeAdapter['openaiClientOptions'] = adapter.openaiClientOptions;
/**
 * Resolves credentials once, with the same chain as {@link createResolver}. For repeated use keep a resolver:
 * it caches, and refreshes providers ahead of expiry.
 *
 * @example
 * ```ts
 * const credentials = await resolveCredentials();
 * const response = await fetch(`${credentials.baseURL}/models`, { headers: { ...credentials.headers() } });
 * ```
 */
export const resolveCredentials: RuntimeAdapter['resolveCredentials'] = adapter.resolveCredentials;
/**
 * The browser relay of `@auth/core/relay`, to mount in your own server or framework (Hono, Elysia…):
 * a Web-standard `(request: Request) => Promise<Response>` with a `ready()` start-up check. {@link serveRelay}
 * serves it on `Bun.serve` for you.
 *
 * @example
 * ```ts
 * const relay = createRelay({ resolver: createResolver(), authorize, mountPath: '/api/openai' });
 * await relay.ready();
 * Bun.serve({ fetch: (request) => (new URL(request.url).pathname.startsWith('/api/openai/') ? relay(request) : app(request)) });
 * ```
 */
/**
 * The default route allowlist, to extend rather than retype.
 *
 * @example
 * ```ts
 * await serveRelay({ resolver, authorize, routes: [...defaultRoutes, 'POST /images/generations'] });
 * ```
 */
/**
 * The relay's in-memory rate-limit store (one instance, bounded memory); pass a shared `RateLimitStore`
 * (Redis…) instead when the relay runs as several instances.
 *
 * @example
 * ```ts
 * const store = createMemoryRateLimitStore({ maxKeys: 10_000 });
 * await serveRelay({ resolver, authorize, rateLimit: { requestsPerMinute: 30, store } });
 * ```
 */
/**
 * The relay's error body (OpenAI's shape) for a code, for answers of your own in front of the relay.
 *
 * @example
 * ```ts
 * new Response(JSON.stringify(relayErrorBody('unauthorized')), { status: 401, headers: { 'content-type': 'application/json' } });
 * ```
 */
/**
 * The relay's option, event, rate-limit store and error types.
 *
 * @example
 * ```ts
 * const onEvent = (event: RelayEvent) => console.info(event.principalId, event.route, event.status, event.usage);
 * const options: RelayOptions = { resolver: createResolver(), authorize, onEvent };
 * ```
 */
export {
  createMemoryRateLimitStore,
  createRelay,
  defaultRoutes,
  type MemoryRateLimitStore,
  type MemoryRateLimitStoreOptions,
  type RateLimitDecision,
  type RateLimitStore,
  type Relay,
  type RelayAuthorize,
  type RelayErrorBody,
  type RelayErrorCode,
  type RelayEvent,
  type RelayEventError,
  type RelayFetch,
  type RelayLimits,
  type RelayMethod,
  type RelayOptions,
  type RelayPrincipal,
  type RelayRateLimit,
  type RelayRoute,
  type RelayUsage,
  relayErrorBody,
} from '@auth/core/relay';
/**
 * Bun's environment reader (`Bun.env`), as core's `EnvReader` port.
 *
 * @example
 * ```ts
 * const source = fromEnv(readEnv);
 * ```
 */
export { readEnv } from './read-env.ts';
/**
 * A bounded secret file reader on `Bun.file` (refuses FIFOs and directories), as core's `TextFileReader`
 * port.
 *
 * @example
 * ```ts
 * const source = fromSecretFiles(readEnv, readTextFile, { ttlMs: 60_000 });
 * ```
 */
export { readTextFile } from './read-text-file.ts';
/**
 * Serves the browser relay on `Bun.serve`: `createRelay`'s options plus `port` (`0`, the default, picks a
 * free port) and `hostname` (default `127.0.0.1`). Resolves once the server credentials are checked and the
 * server listens, to `{ url, close() }`; `close()` (`server.stop(true)`) ends open streams too and resolves
 * when the server is done. A client that disconnects aborts the upstream request through `request.signal`.
 *
 * Bun's `idleTimeout` is raised from its default of 10 s to 255 s, the most Bun allows: at 10 s Bun would cut
 * an SSE stream whenever the model pauses that long. So a stream silent for more than 255 s ends even when
 * the relay's `limits.idleTimeoutMs` (default 300 s) is longer.
 *
 * @example
 * ```ts
 * const server = await serveRelay({
 *   resolver: createResolver(),
 *   authorize: (request) => sessions.principalOf(request), // your session check: { id } or null
 *   mountPath: '/api/openai',
 *   port: 8787,
 * });
 * console.log(`relay on ${server.url}/api/openai`);
 * ```
 */
export { type RelayServer, type ServeRelayOptions, serveRelay } from './serve-relay.ts';
