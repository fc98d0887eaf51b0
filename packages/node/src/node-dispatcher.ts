import type { Dispatcher } from 'undici';

type Undici = typeof import('undici');
// undici takes about 200 ms to import: load it with the first request, not with `import '@auth/node'`, so a
// program that only resolves credentials (or the doctor) starts fast.
let undici: Promise<Undici> | undefined;

/** undici, imported once, on first use. */
export const loadUndici = (): Promise<Undici> => {
  undici ??= import('undici');
  return undici;
};

const proxyVariables = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'] as const;

// One connection pool per proxy setting for the whole process: every auth fetch, every client built with
// openaiClientOptions and every relay share keep-alive connections instead of opening their own.
const dispatchers = new Map<string, Dispatcher>();

/** The proxy setting `env` names (empty: none), the key of its shared dispatcher. */
export function proxyKey(env: NodeJS.ProcessEnv): string {
  const proxies = proxyVariables.map((name) => env[name]?.trim() ?? '');
  return proxies.some(Boolean) ? proxies.join('\n') : '';
}

/**
 * The process-wide undici dispatcher for a proxy setting: a keep-alive `Agent`, or an `EnvHttpProxyAgent` when
 * `HTTPS_PROXY` / `HTTP_PROXY` (either case) are set. The proxy agent honours `NO_PROXY`, which it re-reads on
 * every request; loopback is proxied unless `NO_PROXY` names it (undici has no implicit exception).
 */
export function dispatcherFor(lib: Undici, key: string): Dispatcher {
  let dispatcher = dispatchers.get(key);
  if (dispatcher === undefined) {
    dispatcher = key === '' ? new lib.Agent() : new lib.EnvHttpProxyAgent();
    dispatchers.set(key, dispatcher);
  }
  return dispatcher;
}
