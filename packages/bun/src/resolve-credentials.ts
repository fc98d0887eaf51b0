import type { Credentials } from '@auth/core';
import type { AuthOptions } from './auth-options.ts';
import { createResolver } from './create-resolver.ts';

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
export function resolveCredentials(options: AuthOptions = {}): Promise<Credentials> {
  return createResolver(options).resolve();
}
