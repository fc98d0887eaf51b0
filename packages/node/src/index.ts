/**
 * `@auth/node`: OpenAI API authentication for Node.js. Resolves the key, organization and project from explicit
 * options, `process.env`, `*_FILE` secret files, a credential command or a key-management provider; sends with
 * undici on a keep-alive pool (proxy-aware); and plugs into the official `openai` SDK. Everything of
 * `@auth/core` is re-exported, with `createResolver` and `createAuthFetch` replaced by option-based versions
 * bound to Node, and the browser relay of `@auth/core/relay` is served on `node:http` by `serveRelay` (or
 * mounted in your own server with `toNodeListener`). The same names and options exist in `@auth/deno` and
 * `@auth/bun`.
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

import { createCommandRunner, createRuntimeAdapter, type RuntimeAdapter } from '@auth/core/adapter';
import { createNodeFetch } from './create-node-fetch.ts';
import { readEnv } from './read-env.ts';
import { readTextFile } from './read-text-file.ts';
import { spawnCommand } from './spawn-command.ts';

// ---- Node bindings -------------------------------------------------------------------------------------

// Node's ports; everything else of the adapter contract is core's.
const adapter = createRuntimeAdapter({
  runtime: 'node',
  readEnv,
  readTextFile,
  // One per auth fetch, so the proxy variables are read when it is created; undici loads with the first request.
  createFetch: () => createNodeFetch(),
  runCommand: createCommandRunner(spawnCommand),
});

/**
 * Where credentials come from: explicit values, then `OPENAI_*`, then `OPENAI_*_FILE`, then a provider. The
 * auth fetch's and the SDK helper's options add to it.
 *
 * @example
 * const options: AuthOptions = { organization: null, provider: fromCommand('pass', ['show', 'openai/api-key']) };
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
 * them, and sends with undici on a keep-alive pool. With `HTTPS_PROXY`/`HTTP_PROXY` set (either case) it goes
 * through undici's `EnvHttpProxyAgent`, which honours `NO_PROXY`. Paths starting with `/` are relative to
 * the base URL. A `baseURL` that is not https (or http on loopback) throws `invalid_base_url` here.
 *
 * @example
 * const authFetch = createAuthFetch({ project: 'proj_abc' });
 * const response = await authFetch('/models');
 * console.log((await response.json()).data.length);
 */
export const createAuthFetch: RuntimeAdapter['createAuthFetch'] = adapter.createAuthFetch;
/**
 * A credential resolver for Node. Per field (`apiKey`, `organization`, `project`, `baseURL`): explicit option →
 * `OPENAI_*` variable of `process.env` → secret file named by `OPENAI_*_FILE` → `provider`. With `sources`, that
 * list replaces the whole chain and goes to core's resolver as is. Resolution happens on `resolve()`, cached.
 *
 * @example
 * const resolver = createResolver({ organization: null });
 * const credentials = await resolver.resolve();
 * console.log(formatReport(await resolver.report()));
 */
export const createResolver: RuntimeAdapter['createResolver'] = adapter.createResolver;
/**
 * A credential process as a source: `pass`, `op read`, `vault kv get -field=…`, `aws secretsmanager
 * get-secret-value --query SecretString --output text`, `gcloud secrets versions access latest`… It runs
 * without a shell (arguments are passed as they are: nothing is expanded or injected), with stdin closed, for
 * at most `timeoutMs` (then it is killed), reading at most `maxBytes`. The output, trimmed, is the key; or a
 * JSON object `{ "apiKey", "organization"?, "project"?, "expiresAt"? (epoch ms or ISO date), "ttlMs"? }`.
 * A non-zero exit is a `provider_failed` error naming the command and its exit code (`details.exitCode`),
 * with a redacted, truncated excerpt of stderr; stdout is never shown. Built on `fromProvider`, so results are
 * cached, concurrent callers share one run, and a failure backs off briefly.
 *
 * Arguments are visible to every user of the machine (`ps`): never put a secret in them.
 *
 * @example
 * const authFetch = createAuthFetch({
 *   provider: fromCommand('vault', ['kv', 'get', '-field=api_key', 'secret/openai'], { ttlMs: 600_000 }),
 * });
 */
export const fromCommand: RuntimeAdapter['fromCommand'] = adapter.fromCommand;
/**
 * Options for the official `openai` SDK (tested with 7.59 and 6.49), synchronously: the key is resolved per
 * request by an auth fetch that replaces whatever `Authorization` the SDK set, so rotation, providers, secret
 * files and 401 refreshes work, and the key never sits in the client object. `baseURL` comes from the option,
 * else `OPENAI_BASE_URL`, else the default, validated now.
 *
 * @example
 * const client = new OpenAI(openaiClientOptions({ organization: null }));
 * for await (const chunk of await client.chat.completions.create({ model, messages, stream: true })) {
 *   process.stdout.write(chunk.choices[0]?.delta.content ?? '');
 * }
 */
export const openaiClientOptions: RuntimeAdapter['openaiClientOptions'] = adapter.openaiClientOptions;
/**
 * Resolves credentials once, with the same chain as {@link createResolver}. For repeated use keep a resolver:
 * it caches, and refreshes providers ahead of expiry.
 *
 * @example
 * const credentials = await resolveCredentials({ project: null });
 * console.log(String(credentials)); // Credentials(sk-proj-…Ab12, project)
 */
export const resolveCredentials: RuntimeAdapter['resolveCredentials'] = adapter.resolveCredentials;
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
export { readTextFile } from './read-text-file.ts';

// ---- The relay for browsers ----------------------------------------------------------------------------

/**
 * The relay as a `node:http` listener, to mount in your own server or express app: the same byte path as
 * {@link serveRelay} (node:http in, undici out, no Fetch objects per request), about a third of the CPU of
 * `toNodeListener(createRelay(…))`. Call `ready()` once before serving, as `serveRelay` does; your server's own
 * `headersTimeout`/`requestTimeout` cut slow clients.
 *
 * @example
 * const relay = createRelayListener({ resolver: createResolver(), authorize, mountPath: '/api/openai' });
 * await relay.ready(); // rejects on a missing or admin key
 * createServer((req, res) => (req.url?.startsWith('/api/openai/') ? relay(req, res) : app(req, res)));
 */
export {
  createRelayListener,
  type RelayListener,
  type RelayListenerOptions,
} from './create-relay-listener.ts';
/**
 * Serves the browser relay ({@link createRelay}) on `node:http`, on 127.0.0.1 and a free port unless told
 * otherwise, with header (10 s), request (30 s) and keep-alive (5 s) timeouts, strict framing (ambiguous
 * `Content-Length`/`Transfer-Encoding` → 400 before the relay runs) and undici for the upstream requests.
 *
 * @example
 * const relay = await serveRelay({
 *   resolver: createResolver(),
 *   authorize: (request) => sessions.principalOf(request), // { id } or null
 *   mountPath: '/api/openai',
 *   port: 3000,
 * });
 * // browser: new OpenAI({ apiKey: 'unused', baseURL: '/api/openai', dangerouslyAllowBrowser: true })
 * await relay.close();
 */
export { type RelayServer, type ServeRelayOptions, serveRelay } from './serve-relay.ts';
/**
 * A Web-standard handler as a `node:http` listener, to mount the relay in your own server or express app:
 * bodies streamed both ways without buffering, `request.signal` aborted when the client leaves.
 *
 * @example
 * const listener = toNodeListener(createRelay({ resolver: createResolver(), authorize, mountPath: '/api/openai' }));
 * createServer(listener).listen(3000, '127.0.0.1');
 */
export { type NodeListener, type ToNodeListenerOptions, toNodeListener } from './to-node-listener.ts';

// ---- Re-exported from @auth/core/relay ----------------------------------------------------------------

/**
 * The relay handler type.
 *
 * @example
 * const relay: Relay = createRelay({ resolver: createResolver(), authorize });
 */
/**
 * The relay's option and event types.
 *
 * @example
 * const onEvent = (event: RelayEvent) => metrics.record(event.principalId, event.usage?.totalTokens ?? 0);
 */
export type {
  Relay,
  RelayAuthorize,
  RelayEvent,
  RelayEventError,
  RelayFetch,
  RelayLimits,
  RelayMethod,
  RelayOptions,
  RelayPrincipal,
  RelayRateLimit,
  RelayRoute,
  RelayUsage,
} from '@auth/core/relay';
/**
 * The in-memory rate-limit store (one instance; bounded memory), and the contract of a shared one (Redis).
 *
 * @example
 * createRelay({ resolver, authorize, rateLimit: { requestsPerMinute: 30, store: createMemoryRateLimitStore() } });
 */
/**
 * The default allowlist, to extend rather than retype.
 *
 * @example
 * serveRelay({ resolver, authorize, routes: [...defaultRoutes, 'POST /images/generations'] });
 */
/**
 * The relay's error codes and body shape (OpenAI's), for answers of your own in the same shape.
 *
 * @example
 * res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify(relayErrorBody('unauthorized')));
 */
export {
  createMemoryRateLimitStore,
  defaultRoutes,
  type MemoryRateLimitStore,
  type MemoryRateLimitStoreOptions,
  type RateLimitDecision,
  type RateLimitStore,
  type RelayErrorBody,
  type RelayErrorCode,
  relayErrorBody,
} from '@auth/core/relay';
/**
 * The Web-standard relay of `@auth/core/relay` (a `(request: Request) => Promise<Response>`), sending upstream
 * with undici's keep-alive pool and honouring `HTTPS_PROXY`/`HTTP_PROXY` unless `fetch` is given. For servers
 * that take such a handler (Hono, Next.js route handlers); {@link serveRelay} and {@link toNodeListener}
 * serve it on `node:http`.
 *
 * @example
 * const relay = createRelay({ resolver: createResolver(), authorize, mountPath: '/api/openai', models: ['gpt-4o-mini'] });
 * await relay.ready(); // fails fast on an admin key or missing credentials
 * app.all('/api/openai/*', (c) => relay(c.req.raw)); // Hono
 */
export { createRelay } from './create-relay.ts';

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
