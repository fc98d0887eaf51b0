import {
  type AuthFetch,
  type AuthFetchOptions,
  createAuthFetch as createCoreAuthFetch,
} from '../create-auth-fetch.ts';
import {
  type CredentialResolver,
  createResolver as createCoreResolver,
  type ResolverOptions,
} from '../create-resolver.ts';
import type { CredentialSource } from '../credential-source.ts';
import type { Credentials } from '../credentials.ts';
import { fromEnv } from '../from-env.ts';
import { fromProvider } from '../from-provider.ts';
import { fromSecretFiles } from '../from-secret-files.ts';
import { fromValues } from '../from-values.ts';
import { defaultBaseURL, validateBaseURL } from '../validate-base-url.ts';
import type {
  AuthOptions,
  CreateAuthFetchOptions,
  FromCommandOptions,
  OpenAIClientOptions,
  OpenAIClientOptionsInput,
} from './auth-options.ts';
import { fromCommand } from './from-command.ts';
import type { FetchFunction, RuntimePorts } from './runtime-ports.ts';

/** The functions every adapter exports under the same names, bound to one runtime's ports. */
export interface RuntimeAdapter {
  /** The runtime of the ports. */
  readonly runtime: RuntimePorts['runtime'];
  /**
   * A credential resolver. Per field: explicit option → `OPENAI_*` variable → secret file named by
   * `OPENAI_*_FILE` → `provider`; `sources` replaces that chain and goes to core's resolver as is.
   */
  readonly createResolver: (options?: AuthOptions) => CredentialResolver;
  /** Resolves credentials once, with the same chain as `createResolver`. */
  readonly resolveCredentials: (options?: AuthOptions) => Promise<Credentials>;
  /** Core's auth fetch with the options' resolver and the runtime's client. */
  readonly createAuthFetch: (options?: CreateAuthFetchOptions) => AuthFetch;
  /** A credential process as a source, run with the runtime's `runCommand`. */
  readonly fromCommand: (
    command: string,
    args?: readonly string[],
    options?: FromCommandOptions,
  ) => CredentialSource;
  /** Options for `new OpenAI(...)` of the official SDK, with the key resolved per request. */
  readonly openaiClientOptions: (options?: OpenAIClientOptionsInput) => OpenAIClientOptions;
}

// Visible in a request only if something bypassed the auth fetch; it matches no key pattern.
const placeholderKey = 'openai-auth-resolves-the-key-per-request';

/**
 * The adapter functions of the contract (`createResolver`, `resolveCredentials`, `createAuthFetch`,
 * `fromCommand`, `openaiClientOptions`), built once here from a runtime's ports, so that `@auth/node`,
 * `@auth/deno` and `@auth/bun` hold only their runtime glue and behave the same.
 *
 * @example
 * const adapter = createRuntimeAdapter({
 *   runtime: 'node',
 *   readEnv: (name) => env[name],
 *   readTextFile,
 *   createFetch: () => fetch,
 *   runCommand,
 * });
 * const credentials = await adapter.resolveCredentials({ project: null });
 */
export function createRuntimeAdapter(ports: RuntimePorts): RuntimeAdapter {
  const { readEnv, readTextFile } = ports;

  const defaultSources = (options: AuthOptions): CredentialSource[] => {
    const sources = [
      fromValues({
        apiKey: options.apiKey,
        organization: options.organization,
        project: options.project,
        baseURL: options.baseURL,
      }),
      fromEnv(readEnv),
      fromSecretFiles(readEnv, readTextFile),
    ];
    const provider = options.provider;
    if (typeof provider === 'function') sources.push(fromProvider(provider));
    else if (provider !== undefined) sources.push(provider);
    return sources;
  };

  const createResolver = (options: AuthOptions = {}): CredentialResolver => {
    const resolverOptions: ResolverOptions = { sources: options.sources ?? defaultSources(options) };
    if (options.dangerouslyAllowBrowser !== undefined)
      resolverOptions.dangerouslyAllowBrowser = options.dangerouslyAllowBrowser;
    if (options.allowedKeyKinds !== undefined) resolverOptions.allowedKeyKinds = options.allowedKeyKinds;
    if (options.refreshAheadMs !== undefined) resolverOptions.refreshAheadMs = options.refreshAheadMs;
    return createCoreResolver(resolverOptions);
  };

  const createAuthFetch = (options: CreateAuthFetchOptions = {}): AuthFetch => {
    const client: FetchFunction = options.fetch ?? ports.createFetch();
    const fetchOptions: AuthFetchOptions = {
      resolver: options.resolver ?? createResolver(options),
      fetch: client,
    };
    // Fixing the origin here makes a bad baseURL fail at construction rather than on the first request.
    const baseURL = options.baseURL?.trim();
    if (baseURL) fetchOptions.baseURL = baseURL;
    if (options.timeoutMs !== undefined) fetchOptions.timeoutMs = options.timeoutMs;
    if (options.idleTimeoutMs !== undefined) fetchOptions.idleTimeoutMs = options.idleTimeoutMs;
    if (options.retryOnUnauthorized !== undefined)
      fetchOptions.retryOnUnauthorized = options.retryOnUnauthorized;
    if (options.debug !== undefined) fetchOptions.debug = options.debug;
    const authFetch = createCoreAuthFetch(fetchOptions);
    // The official SDK probes file-upload support through `fetch.Response` (else by fetching `data:,`): the
    // runtime's client may name the Response class that encodes the runtime's FormData for it.
    if (options.fetch === undefined && 'Response' in client) {
      Object.defineProperty(authFetch, 'Response', { value: (client as { Response: unknown }).Response });
    }
    return authFetch;
  };

  const readBaseURLVariable = (): string | undefined => {
    try {
      return readEnv('OPENAI_BASE_URL')?.trim();
    } catch {
      // Not readable (Deno without --allow-env): the resolver's report names the flag.
      return undefined;
    }
  };

  const openaiClientOptions = (options: OpenAIClientOptionsInput = {}): OpenAIClientOptions => {
    const explicit = options.baseURL?.trim();
    const variable = options.baseURL === null ? undefined : readBaseURLVariable();
    const baseURL = explicit
      ? validateBaseURL(explicit, 'options.baseURL')
      : variable
        ? validateBaseURL(variable, 'env OPENAI_BASE_URL')
        : defaultBaseURL;
    const result: OpenAIClientOptions = {
      apiKey: placeholderKey,
      adminAPIKey: null,
      organization: null,
      project: null,
      baseURL,
      // The resolver sees the options as given (so its report names the real origins); the fetch is pinned to
      // the SDK's baseURL, so credentials go to the origin the SDK talks to and nowhere else.
      fetch: createAuthFetch({ resolver: options.resolver ?? createResolver(options), baseURL }),
    };
    if (options.dangerouslyAllowBrowser) result.dangerouslyAllowBrowser = true;
    return result;
  };

  return {
    runtime: ports.runtime,
    createResolver,
    resolveCredentials: (options = {}) => createResolver(options).resolve(),
    createAuthFetch,
    fromCommand: (command, args = [], options = {}) => fromCommand(ports.runCommand, command, args, options),
    openaiClientOptions,
  };
}
