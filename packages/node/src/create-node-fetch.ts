import type { Dispatcher } from 'undici';
import { dispatcherFor, loadUndici, proxyKey } from './node-dispatcher.ts';

type Undici = typeof import('undici');

/**
 * undici's `fetch` bound to a shared keep-alive `Agent`, or to an `EnvHttpProxyAgent` when `HTTPS_PROXY` /
 * `HTTP_PROXY` (either case) are set at creation time. The proxy agent honours `NO_PROXY`, which it re-reads
 * on every request; loopback is proxied unless `NO_PROXY` names it (undici has no implicit exception).
 */
export function createNodeFetch(
  env: NodeJS.ProcessEnv = process.env,
): typeof fetch & { Response: typeof Response } {
  // The proxy choice is fixed when the fetch is created, as documented; the agent itself comes with undici.
  const key = proxyKey(env);
  const send: typeof fetch = async (input, init) => {
    const lib = await loadUndici();
    // A dispatcher the caller chose (the SDK's `fetchOptions.dispatcher`) wins over the shared one.
    const chosen = (init as { dispatcher?: Dispatcher } | undefined)?.dispatcher ?? dispatcherFor(lib, key);
    return lib.fetch(input as never, { ...adaptInit(lib, init), dispatcher: chosen } as never) as never;
  };
  // The official SDK probes file-upload support through `fetch.Response` (else by fetching `data:,` and
  // encoding Node's FormData with the Response class it got back). Node's own Response is the right answer:
  // this fetch re-encodes Node's FormData (below). The auth fetch passes the property on.
  return Object.assign(send, { Response });
}

/**
 * undici from npm does not know Node's built-in `FormData` class (a different copy of undici) and would send
 * it as the text "[object FormData]": the official SDK's file uploads pass exactly that. Encode it with the
 * built-in `Response`, which knows it, and stream the multipart body.
 */
function adaptInit(lib: Undici, init: RequestInit | undefined): RequestInit | undefined {
  const body = init?.body;
  if (!(body instanceof FormData) || (body as unknown) instanceof lib.FormData) return init;
  const encoded = new Response(body);
  const headers = new Headers(init?.headers);
  headers.set('content-type', encoded.headers.get('content-type') ?? 'multipart/form-data');
  headers.delete('content-length');
  return { ...init, body: encoded.body, headers, duplex: 'half' } as RequestInit;
}
