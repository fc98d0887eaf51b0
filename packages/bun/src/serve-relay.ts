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

// Bun's connection idle timeout in seconds, the most Bun accepts: its default of 10 s cuts an SSE stream
// whenever the model pauses that long (reasoning, tool calls). Upstream silence is bounded by the relay's own
// `limits.idleTimeoutMs`; a pause over 255 s ends the stream here even when that limit is longer.
// https://bun.sh/reference/bun/Serve/HostnamePortServeOptions/idleTimeout
const idleTimeoutSeconds = 255;

/**
 * Serves `createRelay(options)` on `Bun.serve`. Checks the server credentials first (`relay.ready()`), so an
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
  const server = Bun.serve({
    hostname,
    port,
    idleTimeout: idleTimeoutSeconds,
    fetch: (request) => (namesOwnHost(request) ? relay(request) : refusal(403, 'invalid_path')),
    // The relay answers every request itself; this only runs on a bug, and Bun's default would answer with
    // an HTML error page, which the SDKs cannot read.
    error: () => refusal(500, 'internal_error'),
  });
  const url = `http://${originHost(server.hostname ?? hostname)}:${server.port ?? port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      // `true` ends open connections too (SSE streams included); without it stop() waits for them.
      closing ??= server.stop(true);
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
