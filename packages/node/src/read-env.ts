import type { EnvReader } from '@auth/core';

/**
 * Node's environment reader: `process.env`, read at call time so a variable set after startup (or by a test)
 * is seen. Never throws, unlike Deno's without `--allow-env`.
 *
 * @example
 * const key = readEnv('OPENAI_API_KEY');
 */
export const readEnv: EnvReader = (name) => process.env[name];
