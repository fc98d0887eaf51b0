import { namesOwnHost } from '@auth/core/adapter';
import { createRelay, type RelayErrorCode, type RelayOptions, relayErrorBody } from '@auth/core/relay';

/** Options of {@link serveRelay}: everything of `createRelay`, plus where to listen. */
export interface ServeRelayOptions extends RelayOptions {
  /** TCP port; `0` (the default) picks a free one, which `url` then names. */
  port?: number | undefined;
  /** Address to bind. Default `127.0.0.1`: reachable from this machine only, put a proxy in front. */
  hostname?: string | undefined;
}

/** A running relay server. */
export interface RelayServer {
  /** The server's origin, e.g. `http://127.0.0.1:8787`; the relay answers under `url + mountPath`. */
  readonly url: string;
  /** Stops listening, ends every open connection (streams included) and resolves when the server is done. */
  close(): Promise<void>;
}

/**
 * Serves `createRelay(options)` on `Deno.serve`. Checks the server credentials first (`relay.ready()`), so an
 * admin key or missing credentials reject here instead of failing the first browser. A client that goes
 * away aborts the upstream request, through `request.signal`.
 *
 * @example
 * ```ts
 * const server = await serveRelay({ resolver: createResolver(), authorize, mountPath: '/api/openai', port: 8787 });
 * console.log(`relay on ${server.url}/api/openai`);
 * ```
 */
export async function serveRelay(options: ServeRelayOptions): Promise<RelayServer> {
  const { port = 0, hostname = '127.0.0.1', ...relayOptions } = options;
  const relay = createRelay(relayOptions);
  await relay.ready();
  const controller = new AbortController();
  const server = Deno.serve(
    {
      hostname,
      port,
      // Aborting it ends open connections too (SSE streams included), unlike `shutdown()`, which waits for them.
      signal: controller.signal,
      // Without it Deno prints "Listening on …" to stdout.
      onListen: () => {},
      // The relay answers every request itself; this only runs on a bug, and Deno's default would log the
      // error and answer text/plain, which the SDKs cannot read.
      onError: () => refusal(500, 'internal_error'),
    },
    (request) => (namesOwnHost(request) ? relay(request) : refusal(403, 'invalid_path')),
  );
  const url = `http://${originHost(server.addr.hostname)}:${server.addr.port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      if (closing === undefined) {
        controller.abort();
        closing = server.finished;
      }
      return closing;
    },
  };
}

/** An answer of the server's own, in the relay's JSON shape. */
function refusal(status: number, code: RelayErrorCode): Response {
  return new Response(JSON.stringify(relayErrorBody(code)), {
    status,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

// A wildcard bind is reachable on loopback; an IPv6 literal needs brackets in a URL.
function originHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}
