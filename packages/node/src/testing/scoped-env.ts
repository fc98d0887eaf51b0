/** Every variable the adapter or undici reads: tests start with none of them set. */
export const watchedVariables: readonly string[] = [
  'OPENAI_API_KEY',
  'OPENAI_ORG_ID',
  'OPENAI_PROJECT_ID',
  'OPENAI_BASE_URL',
  'OPENAI_API_KEY_FILE',
  'OPENAI_ORG_ID_FILE',
  'OPENAI_PROJECT_ID_FILE',
  'OPENAI_ADMIN_KEY',
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'NO_PROXY',
  'no_proxy',
];

/** Sets (string) or deletes (undefined) variables of the real `process.env`. */
export function setEnv(vars: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/**
 * Changes to `process.env` that `restore()` undoes: call `set` in a test and `restore` in `afterEach`, so a
 * failing test cannot leak a variable into the next one. Starts from a clean slate of {@link watchedVariables}.
 */
export function scopedEnv(): { set(vars: Record<string, string | undefined>): void; restore(): void } {
  const saved = new Map<string, string | undefined>();
  const set = (vars: Record<string, string | undefined>) => {
    for (const name of Object.keys(vars)) if (!saved.has(name)) saved.set(name, process.env[name]);
    setEnv(vars);
  };
  const clean = () => set(Object.fromEntries(watchedVariables.map((name) => [name, undefined])));
  clean();
  return {
    set,
    restore() {
      setEnv(Object.fromEntries(saved));
      saved.clear();
      clean();
    },
  };
}
