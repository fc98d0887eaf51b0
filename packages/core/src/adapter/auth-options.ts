import type { KeyKind } from '../classify-key.ts';
import type { AuthFetch, DebugLogger } from '../create-auth-fetch.ts';
import type { CredentialResolver } from '../create-resolver.ts';
import type { CredentialSource } from '../credential-source.ts';
import type { ProviderLoad } from '../from-provider.ts';
import type { CredentialField } from '../validate-credential-value.ts';

/**
 * Where credentials come from, the same in every adapter. Explicit values win; `null` means "unset, and look
 * no further" for that field; then the runtime's `OPENAI_*` variables, then `*_FILE` secret files, then
 * `provider`.
 */
export interface AuthOptions {
  /** The API key. Prefer the environment or a secret file; a literal here ends up in your source code. */
  apiKey?: string | null | undefined;
  /** `OpenAI-Organization`; `null` stops `OPENAI_ORG_ID` from being used. */
  organization?: string | null | undefined;
  /** `OpenAI-Project`; `null` stops `OPENAI_PROJECT_ID` from being used. */
  project?: string | null | undefined;
  /** The API root, `https://api.openai.com/v1` by default; `http` only for loopback hosts. */
  baseURL?: string | null | undefined;
  /**
   * Asked last, for the key only: a function is wrapped with `fromProvider(load)` (cached, single-flight,
   * bounded); pass `fromProvider(load, { fields })` or `fromCommand(...)` for more control.
   */
  provider?: ProviderLoad | CredentialSource | undefined;
  /** Replaces the whole default chain (explicit values, env, secret files, provider): core's own resolver. */
  sources?: readonly CredentialSource[] | undefined;
  /** Let a secret key be used in a browser page or worker. Only for demos on your own machine. */
  dangerouslyAllowBrowser?: boolean | undefined;
  /** Refuse keys of other kinds with `key_kind_not_allowed`. */
  allowedKeyKinds?: readonly KeyKind[] | undefined;
  /** Reload a provider's key this long before it expires, in the background. Default 30 s. */
  refreshAheadMs?: number | undefined;
}

/** Options of an adapter's `createAuthFetch`: where credentials come from, plus how requests are sent. */
export interface CreateAuthFetchOptions extends AuthOptions {
  /** A resolver to share (per tenant, say); when given, the credential options above are not used. */
  resolver?: CredentialResolver | undefined;
  /**
   * The `fetch` to send with. Default: the runtime's own client (Node: undici on a shared keep-alive pool,
   * proxy-aware; Deno and Bun: their built-in `fetch`, which keeps connections alive and honours
   * `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`).
   */
  fetch?: typeof fetch | undefined;
  /** Time allowed until the response headers arrive. Default 600 s. */
  timeoutMs?: number | undefined;
  /** Longest silence allowed between two chunks of the response body. Default 300 s. */
  idleTimeoutMs?: number | undefined;
  /** On a 401 `invalid_api_key`, reload the credentials and retry once (replayable bodies). Default true. */
  retryOnUnauthorized?: boolean | undefined;
  /** `true` logs to `console.debug`; a function receives every event. Secrets are redacted first. */
  debug?: boolean | DebugLogger | undefined;
}

/** Options of `fromCommand`. */
export interface FromCommandOptions {
  /** The command is killed and the load fails with `provider_timeout` after this long. Default 10 s. */
  timeoutMs?: number | undefined;
  /** How long a key is kept when the output gives no `expiresAt`/`ttlMs`. Default 5 minutes. */
  ttlMs?: number | undefined;
  /** Output past this many bytes kills the command and fails the load. Default 64 KiB. */
  maxBytes?: number | undefined;
  /** Extra environment variables for the command, added to the environment it inherits. */
  env?: Record<string, string> | undefined;
  /** Working directory of the command. */
  cwd?: string | undefined;
  /** The fields the command decides; default `['apiKey']`. Add others when its JSON output has them. */
  fields?: readonly CredentialField[] | undefined;
}

/** Options of an adapter's `openaiClientOptions`: where credentials come from, or a resolver to share. */
export interface OpenAIClientOptionsInput extends AuthOptions {
  /** A resolver to share; then the credential options are not used (`baseURL` still sets the SDK's). */
  resolver?: CredentialResolver | undefined;
}

/** What `openaiClientOptions` returns: spread it into `new OpenAI({...})` of the official SDK. */
export interface OpenAIClientOptions {
  /** A placeholder that is no secret: the real key is set per request by `fetch`. */
  apiKey: string;
  /** `null` so that the SDK does not read `OPENAI_ADMIN_KEY` behind the resolver's back. */
  adminAPIKey: null;
  /** `null` so that the SDK does not read `OPENAI_ORG_ID` behind the resolver's back. */
  organization: null;
  /** `null` so that the SDK does not read `OPENAI_PROJECT_ID` behind the resolver's back. */
  project: null;
  baseURL: string;
  /** The auth fetch: resolves credentials and sets the auth headers on every request, retries included. */
  fetch: AuthFetch;
  dangerouslyAllowBrowser?: boolean;
}

/** Options of an adapter's `readTextFile`. */
export interface ReadTextFileOptions {
  /** Larger files are refused without being read. Default 64 KiB. */
  maxBytes?: number | undefined;
  /** Aborts the read; the promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}
