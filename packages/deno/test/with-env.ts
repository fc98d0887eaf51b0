/**
 * Runs `body` with these variables set (a string) or removed (undefined) in `Deno.env`, and puts every one
 * back afterwards, so cases cannot leak configuration into each other.
 */
export async function withEnv<T>(
  vars: Record<string, string | undefined>,
  body: () => Promise<T>,
): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, Deno.env.get(name)]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  };
  apply(vars);
  try {
    return await body();
  } finally {
    apply(saved);
  }
}
