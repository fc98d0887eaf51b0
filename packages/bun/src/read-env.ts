import type { EnvReader } from '@auth/core';

/**
 * Bun's environment reader: `Bun.env`, read at call time so a variable set after startup (or by a test) is
 * seen. It holds what Bun loaded from `.env`, `.env.local` and `.env.<NODE_ENV>` too. Never throws.
 *
 * @example
 * ```ts
 * const key = readEnv('OPENAI_API_KEY');
 * ```
 */
export const readEnv: EnvReader = (name) => Bun.env[name];
