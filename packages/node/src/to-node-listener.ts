import type { IncomingMessage, ServerResponse } from 'node:http';
import { type RelayErrorCode, type RelayURL, relayErrorBody } from '@auth/core/relay';
import { parseRequestTarget } from './parse-request-target.ts';

/** A `node:http` request listener, as `createServer`, express and Fastify's `raw` routes take it. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Options of {@link toNodeListener}. */
export interface ToNodeListenerOptions {
  /**
   * The public origin the app is reached at, e.g. `https://app.example.com` behind a TLS-terminating proxy.
   * The handler's `request.url` starts with it, whatever `Host` says; the relay compares a browser's `Origin`
   * with it. Default: `http://` plus the `Host` header.
   */
  origin?: string | undefined;
}

// A Fetch `Request` cannot carry these methods (its constructor throws), so no handler can be asked.
const unrepresentableMethods: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK']);
// What a Fetch handler can be given: the honest `Allow` for a method that never reaches it.
const representableMethods = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
const noop = () => undefined;

/**
 * Serves a Web-standard handler (`(request: Request) => Promise<Response>`, such as the relay of
 * `createRelay`) on `node:http`: mount it in your own server, express app or any framework that hands out
 * `IncomingMessage`/`ServerResponse`.
 *
 * - The request body is a stream read only when the handler reads it (so an unauthorized 1 GB upload is never
 *   read); it is `null` for GET/HEAD and when there is no body.
 * - `request.signal` aborts when the client goes away before the response ended.
 * - The response streams: each chunk is written as the handler produces it (SSE events are not buffered),
 *   with backpressure, and the handler's body is cancelled if the client leaves.
 * - An answer given before the request body was read in full closes the connection instead of reading the
 *   rest of the body.
 *
 * @example
 * import { createServer } from 'node:http';
 * const listener = toNodeListener(createRelay({ resolver, authorize, mountPath: '/api/openai' }));
 * createServer(listener).listen(3000, '127.0.0.1');
 * // express: app.use('/api/openai', (req, res) => { req.url = req.originalUrl; listener(req, res); });
 */
export function toNodeListener(
  handler: (request: Request) => Promise<Response>,
  options: ToNodeListenerOptions = {},
): NodeListener {
  const origin = options.origin === undefined ? undefined : readOrigin(options.origin);
  return (req, res) => {
    serve(handler, origin, req, res).catch(() => {
      // Only a bug of this file lands here; the client must not hang on it.
      res.destroy();
    });
  };
}

async function serve(
  handler: (request: Request) => Promise<Response>,
  origin: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = req.method ?? 'GET';
  const target = acceptTarget(req, res, method, origin);
  if (target === undefined) return;
  const url = target.href;
  const controller = new AbortController();
  // 'close' before 'finish' is the client going away (a closed tab, an aborted fetch) mid-request or mid-stream.
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  let request: Request;
  try {
    const headers = new Headers();
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
    const body = hasBody(req, method) ? bodyOf(req) : null;
    request = new Request(url, {
      method,
      headers,
      body,
      signal: controller.signal,
      // Required by Node for a stream body: the request is still arriving while the handler runs.
      ...(body === null ? {} : { duplex: 'half' }),
    } as RequestInit);
  } catch {
    // A header value node:http let through that `Headers` refuses.
    refuse(req, res, 400, 'invalid_body');
    return;
  }
  let response: Response;
  try {
    response = await handler(request);
  } catch {
    response = Response.json(relayErrorBody('internal_error'), { status: 500 });
  }
  await writeResponse(req, res, method, response);
}

/**
 * The request URL, or `undefined` once the request is refused: a method no Fetch `Request` can carry (405), or a
 * target that is not origin-form or names another host (403). Parsed once, here.
 */
export function acceptTarget(
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  origin: string | undefined,
): RelayURL | undefined {
  if (unrepresentableMethods.has(method.toUpperCase())) {
    refuse(req, res, 405, 'method_not_allowed', { allow: representableMethods });
    return undefined;
  }
  const url = requestURL(req, origin);
  if (url === undefined) refuse(req, res, 403, 'invalid_path');
  return url;
}

/** The request URL from the origin-form target only: the client must not be able to name another origin. */
function requestURL(req: IncomingMessage, origin: string | undefined): RelayURL | undefined {
  const target = req.url ?? '';
  // An absolute-form target (`GET http://evil.test/ HTTP/1.1`) or `*` never reaches the handler.
  if (!target.startsWith('/')) return undefined;
  let base = origin;
  if (base === undefined) {
    const host = req.headers.host ?? localHost(req);
    // `Host: a@b`, `a/b` or `a?b` would move the authority or end it early: only a plain host[:port] passes.
    if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) return undefined;
    base = `http://${host}`;
  }
  // Concatenated, never resolved: `new URL('//evil.test/x', base)` would change the host.
  return parseRequestTarget(base, target);
}

function localHost(req: IncomingMessage): string {
  const address = req.socket.localAddress ?? '127.0.0.1';
  return `${address.includes(':') ? `[${address}]` : address}:${req.socket.localPort ?? 80}`;
}

export function readOrigin(value: string, who = 'toNodeListener'): string {
  let origin: string | undefined;
  try {
    origin = new URL(value).origin;
  } catch {}
  if (origin !== value || origin === 'null') {
    throw new TypeError(
      `${who}: origin "${value}" must be an exact origin such as https://app.example.com (no path, no trailing slash).`,
    );
  }
  return origin;
}

export function hasBody(req: IncomingMessage, method: string): boolean {
  if (method === 'GET' || method === 'HEAD') return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) !== 0);
}

/**
 * The request body as a pull stream: nothing is read from the socket until the handler asks (high-water mark
 * 0), so a request refused before its body is read costs no body bytes.
 */
function bodyOf(req: IncomingMessage): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        return new Promise<void>((resolve) => {
          const settle = (action: () => void) => {
            req.off('readable', step);
            req.off('end', end);
            req.off('error', fail);
            req.off('close', closed);
            if (!done) {
              try {
                action();
              } catch {}
            }
            resolve();
          };
          const step = () => {
            const chunk = req.read() as Buffer | null;
            if (chunk !== null)
              settle(() =>
                controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
              );
          };
          const end = () =>
            settle(() => {
              done = true;
              controller.close();
            });
          const fail = () =>
            settle(() => {
              done = true;
              controller.error(new Error('The client closed the connection before the body was complete.'));
            });
          const closed = () => {
            if (!req.complete) fail();
          };
          if (req.readableEnded) return end();
          req.on('readable', step);
          req.once('end', end);
          req.once('error', fail);
          req.once('close', closed);
          step();
        });
      },
      cancel() {
        // What the handler did not read stays unread: writeResponse closes the connection instead.
        done = true;
      },
    },
    { highWaterMark: 0 },
  );
}

async function writeResponse(
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  response: Response,
): Promise<void> {
  const body = response.body;
  if (res.destroyed) {
    body?.cancel().catch(noop);
    return;
  }
  res.statusCode = response.status;
  for (const [name, value] of response.headers) if (name !== 'set-cookie') res.setHeader(name, value);
  // `Headers` joins Set-Cookie values with commas, which breaks them; each must be its own field line.
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  closeIfUnread(req, res);
  if (body === null || method === 'HEAD') {
    body?.cancel().catch(noop);
    res.end();
    return;
  }
  const reader = body.getReader();
  const onClose = () => {
    if (!res.writableFinished) reader.cancel().catch(noop);
  };
  res.once('close', onClose);
  // A stream's headers go out now, so an SSE client sees it open before the first event; other bodies send
  // their headers with the first chunk, in one packet.
  if (/^text\/event-stream\b/i.test(response.headers.get('content-type') ?? '')) res.flushHeaders();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return;
      if (!res.write(value)) await drained(res);
    }
    // The body may have been cancelled by the client leaving: then there is nothing left to end.
    if (!res.destroyed) {
      closeIfUnread(req, res);
      res.end();
    }
  } catch {
    // A body that failed midway must not look complete: a cut connection, not a clean end.
    res.destroy();
  } finally {
    res.off('close', onClose);
  }
}

/**
 * An answer before the whole request body arrived (401 to a 1 GB upload, 413) says `Connection: close`:
 * node:http then destroys the socket once the answer is out, where a keep-alive connection would read and
 * discard the rest of the body to get to the next request.
 */
export function closeIfUnread(req: IncomingMessage, res: ServerResponse): void {
  if (!req.complete && !res.headersSent) res.setHeader('connection', 'close');
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: RelayErrorCode,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(relayErrorBody(code));
  closeIfUnread(req, res);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}
