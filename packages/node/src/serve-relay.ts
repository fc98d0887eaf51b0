import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RelayErrorCode, type RelayOptions, relayErrorBody } from '@auth/core/relay';
import { createRelay } from './create-relay.ts';
import { createRelayListener } from './create-relay-listener.ts';
import { type NodeListener, toNodeListener } from './to-node-listener.ts';

/** Options of {@link serveRelay}: the relay's own, plus where to listen and the server's timeouts. */
export interface ServeRelayOptions extends RelayOptions {
  /** Default 0: a free port (read it from `url`). */
  port?: number | undefined;
  /** Default `'127.0.0.1'`: reachable from this machine only. Say `'0.0.0.0'` to listen on every interface. */
  hostname?: string | undefined;
  /** Time allowed for a client to send its request headers, then 408 (slowloris). Default 10 s. */
  headersTimeoutMs?: number | undefined;
  /**
   * Time allowed for a client to send its whole request, body included, then 408 (a 1 byte/s body). Default
   * 30 s. Not the response: streams last as long as the relay's `limits` allow.
   */
  requestTimeoutMs?: number | undefined;
  /** How long an idle keep-alive connection stays open between requests. Default 5 s. */
  keepAliveTimeoutMs?: number | undefined;
}

/** A running relay server. */
export interface RelayServer {
  /** The server's origin, e.g. `http://127.0.0.1:3000`; the relay answers under its `mountPath`. */
  readonly url: string;
  /** The underlying `node:http` server, e.g. for metrics (`getConnections`). */
  readonly server: Server;
  /** Stops listening and destroys every open connection, streams included. Safe to call twice. */
  close(): Promise<void>;
}

// Framing errors happen before a `Request` exists, so node:http answers them; in the relay's JSON shape here.
const clientErrors: Readonly<Record<string, readonly [number, string, RelayErrorCode]>> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'body_timeout'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'invalid_body'],
};
const badRequest = [400, 'Bad Request', 'invalid_body'] as const;

/**
 * Serves {@link createRelay} on `node:http`: checks the credentials first (`relay.ready()`, so an admin key
 * or missing key fails here, not on the first browser request), then listens on 127.0.0.1 unless told
 * otherwise. Upstream requests go through undici's keep-alive pool (proxy-aware) unless `fetch` is given.
 * The server refuses ambiguous framing (both `Content-Length` and `Transfer-Encoding`, duplicate lengths,
 * obs-fold, bare LF) with 400 before the relay sees the request, and cuts slow senders with 408.
 *
 * @example
 * const relay = await serveRelay({
 *   resolver: createResolver(), // OPENAI_API_KEY, *_FILE, provider…
 *   authorize: (request) => sessions.principalOf(request.headers.get('cookie')), // { id } or null
 *   mountPath: '/api/openai',
 *   port: 3000,
 * });
 * console.log(`relay on ${relay.url}/api/openai`);
 * process.on('SIGTERM', () => relay.close());
 */
export async function serveRelay(options: ServeRelayOptions): Promise<RelayServer> {
  const {
    port = 0,
    hostname = '127.0.0.1',
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs,
    ...relayOptions
  } = options;
  const headersTimeout = readTimeout(headersTimeoutMs, 10_000, 'headersTimeoutMs');
  const requestTimeout = readTimeout(requestTimeoutMs, 30_000, 'requestTimeoutMs');
  const keepAliveTimeout = readTimeout(keepAliveTimeoutMs, 5_000, 'keepAliveTimeoutMs');
  if (headersTimeout > requestTimeout) {
    throw new TypeError('serveRelay: headersTimeoutMs must not be larger than requestTimeoutMs.');
  }
  // The byte path: core's policy on node:http and undici directly. A `fetch` of the caller's (a test double, a
  // custom client) goes through the Fetch relay instead, which is the only thing that can call it.
  let listener: NodeListener;
  if (relayOptions.fetch === undefined) {
    const direct = createRelayListener(relayOptions);
    await direct.ready();
    listener = direct;
  } else {
    const relay = createRelay(relayOptions);
    await relay.ready();
    listener = toNodeListener(relay);
  }

  // Loaded here, not with `import '@auth/node'`: about 6 ms of start-up that only a relay server needs.
  const { createServer } = await import('node:http');
  // Each socket's latest response: a framing error while it is being written must not write a second status line.
  const answering = new WeakMap<Duplex, ServerResponse>();
  const server = createServer(
    {
      headersTimeout,
      requestTimeout,
      keepAliveTimeout,
      // node:http checks both timeouts only this often (30 s by default), which would stretch a 10 s limit.
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(headersTimeout / 4))),
      // Explicitly strict: `--insecure-http-parser` in NODE_OPTIONS must not loosen framing for the relay.
      insecureHTTPParser: false,
      requireHostHeader: true,
    },
    (req, res) => {
      answering.set(req.socket, res);
      listener(req, res);
    },
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A response whose head is out and whose end is not: a status line now would land inside its body.
    const open = answering.get(socket);
    const started = open?.headersSent === true && !open.writableFinished;
    if (error.code === 'ECONNRESET' || !socket.writable || started) {
      socket.destroy();
      return;
    }
    const [status, reason, code] = clientErrors[error.code ?? ''] ?? badRequest;
    const body = JSON.stringify(relayErrorBody(code));
    // The rest of what the client sends is never parsed: the socket goes as soon as the answer is out.
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port: bound } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${reachable(address)}:${bound}`,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

/** A URL host for the bound address: the wildcard addresses are reached through loopback. */
function reachable(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}

function readTimeout(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  // 0 would switch node:http's protection off: not an option for a server facing browsers.
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 2_147_483_647) {
    throw new TypeError(`serveRelay: ${name} must be a positive number of milliseconds.`);
  }
  return Math.ceil(value);
}
