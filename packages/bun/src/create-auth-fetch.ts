import {
  type AuthFetch,
  type AuthFetchOptions,
  type CredentialResolver,
  createAuthFetch as createCoreAuthFetch,
  type DebugLogger,
} from '@auth/core';
import type { AuthOptions } from './auth-options.ts';
import { createResolver } from './create-resolver.ts';

/** Options of {@link createAuthFetch}: where credentials come from, plus how requests are sent. */
export interface CreateAuthFetchOptions extends AuthOptions {
  /** A resolver to share (per tenant, say); when given, the credential options above are not used. */
  resolver?: CredentialResolver | undefined;
  /** The `fetch` to send with. Default: Bun's own (keep-alive; honours HTTPS_PROXY, HTTP_PROXY, NO_PROXY). */
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

/**
 * A `fetch` that adds `Authorization`, `OpenAI-Organization` and `OpenAI-Project` to requests for the API
 * origin only, resolves credentials per request (so rotation just works), never follows a redirect with
 * them, and sends with Bun's `fetch`. Bun's client keeps connections alive and honours `HTTPS_PROXY`,
 * `HTTP_PROXY` and `NO_PROXY` by itself (https://bun.com/docs/guides/http/proxy), so
 * there is no agent to set up. Paths starting with `/` are relative to the base URL. A `baseURL` that is not
 * https (or http on loopback) throws `invalid_base_url` here.
 *
 * @example
 * ```ts
 * const authFetch = createAuthFetch();
 * const response = await authFetch('/models');
 * console.log((await response.json()).data.length);
 * ```
 */
export function createAuthFetch(options: CreateAuthFetchOptions = {}): AuthFetch {
  const fetchOptions: AuthFetchOptions = { resolver: options.resolver ?? createResolver(options) };
  // Looked up per call (core's default), so a fetch replaced after start-up is the one used.
  if (options.fetch !== undefined) fetchOptions.fetch = options.fetch;
  // Fixing the origin here makes a bad baseURL fail at construction rather than on the first request.
  const baseURL = options.baseURL?.trim();
  if (baseURL) fetchOptions.baseURL = baseURL;
  if (options.timeoutMs !== undefined) fetchOptions.timeoutMs = options.timeoutMs;
  if (options.idleTimeoutMs !== undefined) fetchOptions.idleTimeoutMs = options.idleTimeoutMs;
  if (options.retryOnUnauthorized !== undefined)
    fetchOptions.retryOnUnauthorized = options.retryOnUnauthorized;
  if (options.debug !== undefined) fetchOptions.debug = options.debug;
  return createCoreAuthFetch(fetchOptions);
}
