import type { EnvReader } from '@auth/core';

/**
 * Deno's environment reader: `Deno.env.get`, read at call time. The permission state is queried first, so a
 * missing `--allow-env` never opens an interactive prompt per variable; the read throws `NotCapable` instead,
 * which core reports as "env not readable (NAME) … run with --allow-env=NAME" while resolution goes on.
 *
 * @example
 * ```ts
 * const key = readEnv('OPENAI_API_KEY');
 * ```
 */
export const readEnv: EnvReader = (name) => {
  if (Deno.permissions.querySync({ name: 'env', variable: name }).state !== 'granted') {
    throw new Deno.errors.NotCapable(`Requires env access to "${name}", run again with --allow-env=${name}`);
  }
  return Deno.env.get(name);
};
