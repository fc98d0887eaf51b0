import { type AuthFetch, type CredentialResolver, defaultBaseURL, validateBaseURL } from '@auth/core';
import type { AuthOptions } from './auth-options.ts';
import { createAuthFetch } from './create-auth-fetch.ts';
import { createResolver } from './create-resolver.ts';
import { readEnv } from './read-env.ts';

/** Options of {@link openaiClientOptions}: where credentials come from, or a resolver to share. */
export interface OpenAIClientOptionsInput extends AuthOptions {
  /** A resolver to share; then the credential options are not used (`baseURL` still sets the SDK's). */
  resolver?: CredentialResolver | undefined;
}

/** What {@link openaiClientOptions} returns: spread it into `new OpenAI({...})` of the official SDK. */
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

// Visible in a request only if something bypassed the auth fetch; it matches no key pattern.
const placeholderKey = 'openai-auth-resolves-the-key-per-request';

/**
 * Options for the official `openai` SDK (tested with 7.59 and 6.49 on Deno), synchronously: the key is
 * resolved per request by an auth fetch that replaces whatever `Authorization` the SDK set, so rotation,
 * providers, secret files and 401 refreshes work, and the key never sits in the client object. `baseURL`
 * comes from the option, else `OPENAI_BASE_URL` (when `--allow-env` lets it be read), else the default,
 * validated now. The SDK itself reads a few variables when constructed (7.x: `OPENAI_LOG`,
 * `OPENAI_WEBHOOK_SECRET`, `OPENAI_CUSTOM_HEADERS`); it treats a refused read as unset, but in a terminal
 * Deno would prompt for each: list them in `--allow-env` too.
 *
 * @example
 * ```ts
 * import OpenAI from 'npm:openai';
 *
 * const client = new OpenAI(openaiClientOptions());
 * const models = await client.models.list();
 * ```
 */
export function openaiClientOptions(options: OpenAIClientOptionsInput = {}): OpenAIClientOptions {
  const explicit = options.baseURL?.trim();
  const fromEnv = options.baseURL === null ? undefined : readBaseURLVariable();
  const baseURL = explicit
    ? validateBaseURL(explicit, 'options.baseURL')
    : fromEnv
      ? validateBaseURL(fromEnv, 'env OPENAI_BASE_URL')
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
}

/** `OPENAI_BASE_URL`, or undefined when unset or not readable (the resolver's report tells the flag then). */
function readBaseURLVariable(): string | undefined {
  try {
    return readEnv('OPENAI_BASE_URL')?.trim();
  } catch {
    return undefined;
  }
}
