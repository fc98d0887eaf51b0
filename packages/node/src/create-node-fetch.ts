import {
  Agent,
  type Dispatcher,
  EnvHttpProxyAgent,
  FormData as UndiciFormData,
  fetch as undiciFetch,
} from 'undici';

const proxyVariables = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'] as const;

// One connection pool per proxy setting for the whole process: every auth fetch (and every client built with
// openaiClientOptions) shares keep-alive connections instead of opening its own.
const dispatchers = new Map<string, Dispatcher>();

/**
 * undici's `fetch` bound to a shared keep-alive `Agent`, or to an `EnvHttpProxyAgent` when `HTTPS_PROXY` /
 * `HTTP_PROXY` (either case) are set at creation time. The proxy agent honours `NO_PROXY`, which it re-reads
 * on every request; loopback is proxied unless `NO_PROXY` names it (undici has no implicit exception).
 */
export function createNodeFetch(env: NodeJS.ProcessEnv = process.env): typeof fetch {
  const dispatcher = dispatcherFor(env);
  return (input, init) => {
    // A dispatcher the caller chose (the SDK's `fetchOptions.dispatcher`) wins over the shared one.
    const chosen = (init as { dispatcher?: Dispatcher } | undefined)?.dispatcher ?? dispatcher;
    return undiciFetch(input as never, { ...adaptInit(init), dispatcher: chosen } as never) as never;
  };
}

function dispatcherFor(env: NodeJS.ProcessEnv): Dispatcher {
  const proxies = proxyVariables.map((name) => env[name]?.trim() ?? '');
  const key = proxies.some(Boolean) ? proxies.join('\n') : '';
  let dispatcher = dispatchers.get(key);
  if (dispatcher === undefined) {
    dispatcher = key === '' ? new Agent() : new EnvHttpProxyAgent();
    dispatchers.set(key, dispatcher);
  }
  return dispatcher;
}

/**
 * undici from npm does not know Node's built-in `FormData` class (a different copy of undici) and would send
 * it as the text "[object FormData]": the official SDK's file uploads pass exactly that. Encode it with the
 * built-in `Response`, which knows it, and stream the multipart body.
 */
function adaptInit(init: RequestInit | undefined): RequestInit | undefined {
  const body = init?.body;
  if (!(body instanceof FormData) || (body as unknown) instanceof UndiciFormData) return init;
  const encoded = new Response(body);
  const headers = new Headers(init?.headers);
  headers.set('content-type', encoded.headers.get('content-type') ?? 'multipart/form-data');
  headers.delete('content-length');
  return { ...init, body: encoded.body, headers, duplex: 'half' } as RequestInit;
}
