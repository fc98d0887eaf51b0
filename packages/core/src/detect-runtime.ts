/** Where the code runs. `worker` is a browser worker; `edge` is Vercel Edge, Cloudflare Workers and the like. */
export type Runtime = 'node' | 'deno' | 'bun' | 'browser' | 'worker' | 'edge' | 'unknown';

/**
 * Tells the runtime from its globals. The only place in core that looks at them. Browser-like globals win:
 * a Node test under jsdom behaves like a page, and a page is where a secret key must not be.
 *
 * @example
 * if (detectRuntime() === 'deno') console.log('run with --allow-env=OPENAI_API_KEY');
 */
export function detectRuntime(): Runtime {
  const g = globalThis as Record<string, unknown> & {
    navigator?: { userAgent?: unknown };
    process?: { versions?: { node?: unknown } };
  };
  const isObject = (value: unknown) => typeof value === 'object' && value !== null;
  if (isObject(g.window) && isObject(g.document)) return 'browser';
  if (typeof g.WorkerGlobalScope === 'function' || typeof g.importScripts === 'function') return 'worker';
  if (isObject(g.Deno)) return 'deno';
  if (isObject(g.Bun)) return 'bun';
  if (typeof g.EdgeRuntime === 'string' || g.navigator?.userAgent === 'Cloudflare-Workers') return 'edge';
  if (typeof g.process?.versions?.node === 'string') return 'node';
  return 'unknown';
}

/** True where a secret key would be visible to the page's users: pages and browser workers. */
export function isBrowserLike(runtime: Runtime = detectRuntime()): boolean {
  return runtime === 'browser' || runtime === 'worker';
}
