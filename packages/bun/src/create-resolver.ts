import {
  type CredentialResolver,
  type CredentialSource,
  createResolver as createCoreResolver,
  fromEnv,
  fromProvider,
  fromSecretFiles,
  fromValues,
  type ResolverOptions,
} from '@auth/core';
import type { AuthOptions } from './auth-options.ts';
import { readEnv } from './read-env.ts';
import { readTextFile } from './read-text-file.ts';

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
export function createResolver(options: AuthOptions = {}): CredentialResolver {
  const resolverOptions: ResolverOptions = { sources: options.sources ?? defaultSources(options) };
  if (options.dangerouslyAllowBrowser !== undefined)
    resolverOptions.dangerouslyAllowBrowser = options.dangerouslyAllowBrowser;
  if (options.allowedKeyKinds !== undefined) resolverOptions.allowedKeyKinds = options.allowedKeyKinds;
  if (options.refreshAheadMs !== undefined) resolverOptions.refreshAheadMs = options.refreshAheadMs;
  return createCoreResolver(resolverOptions);
}

function defaultSources(options: AuthOptions): CredentialSource[] {
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
}
