import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type BodyBytes,
  createRelayEngine,
  type RelayBodyGuard,
  type RelayIncoming,
  type RelayOptions,
  type RelayTransport,
} from '@auth/core/relay';
import type { Dispatcher } from 'undici';
import { createLazyRequest } from './create-lazy-request.ts';
import { type DispatchedUpstream, dispatchUpstream } from './dispatch-upstream.ts';
import { dispatcherFor, loadUndici, proxyKey } from './node-dispatcher.ts';
import { acceptTarget, closeIfUnread, hasBody, type NodeListener, readOrigin } from './to-node-listener.ts';

/** Options of {@link createRelayListener}: the relay's own (without `fetch`), plus the public origin. */
export interface RelayListenerOptions extends Omit<RelayOptions, 'fetch'> {
  /** The public origin the app is reached at (behind a TLS-terminating proxy). Default: `http://` + `Host`. */
  origin?: string | undefined;
}

/** A `node:http` listener serving the relay, with the relay's start-up check. */
export interface RelayListener extends NodeListener {
  /** Checks the server credentials (see `Relay.ready`) and loads the HTTP client. */
  ready(): Promise<void>;
}

/**
 * The relay's policy (core's `createRelayEngine`, the same code as `createRelay`) on Node's own I/O: `node:http`
 * in, undici's keep-alive pool out, and the upstream bytes written straight into the `ServerResponse`. No
 * Fetch `Request`, `Response` or Web stream on the hot path; `authorize` gets a `Request` with the method, URL
 * and headers (its body is null: the relay reads the body itself, after the session check).
 *
 * @example
 * const listener = createRelayListener({ resolver, authorize, mountPath: '/api/openai' });
 * await listener.ready();
 * createServer(listener).listen(3000, '127.0.0.1');
 */
export function createRelayListener(options: RelayListenerOptions): RelayListener {
  const { origin: publicOrigin, ...relayOptions } = options;
  const ownOrigin = publicOrigin === undefined ? undefined : readOrigin(publicOrigin, 'serveRelay');
  const engine = createRelayEngine(relayOptions);
  const key = proxyKey(process.env);
  let dispatcher: Dispatcher | undefined;
  const loadDispatcher = async () => {
    dispatcher ??= dispatcherFor(await loadUndici(), key);
    return dispatcher;
  };

  // The upstream URL is always the resolver's base plus a path: split it without a URL parse per request.
  let origin = '';
  const send: RelayTransport<void, DispatchedUpstream>['send'] = async (request) => {
    const { url } = request;
    if (origin === '' || !url.startsWith(origin) || url[origin.length] !== '/') origin = new URL(url).origin;
    return dispatchUpstream(dispatcher ?? (await loadDispatcher()), origin, request);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const url = acceptTarget(req, res, method, ownOrigin);
    if (url === undefined) return;

    let gone = false;
    let onGone: (() => void) | undefined;
    let unique: boolean | undefined;
    // 'close' before 'finish' is the client going away (a closed tab, an aborted fetch) mid-request or mid-stream.
    res.once('close', () => {
      if (res.writableFinished) return;
      gone = true;
      onGone?.();
    });
    const incoming: RelayIncoming = {
      method,
      url,
      headers: {
        get(name) {
          // Without a repeated name (the usual case) node's `headers` has every value as sent. With one, every
          // field line of a name is joined as `Headers.get` does: `headers` keeps only the first of some.
          unique ??= req.rawHeaders.length === 2 * Object.keys(req.headers).length;
          const value = unique ? req.headers[name] : req.headersDistinct[name];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        },
      },
      hasBody: hasBody(req, method),
      readBody: (maxBytes, timeoutMs) => readBody(req, maxBytes, timeoutMs),
      clientGone: () => gone,
      onClientGone(listener) {
        onGone = listener;
        return () => {
          onGone = undefined;
        };
      },
      toRequest: () => createLazyRequest(url.href, method, req.rawHeaders),
    };

    const transport: RelayTransport<void, DispatchedUpstream> = {
      send,
      reply(status, headers, body) {
        if (res.destroyed) return;
        closeIfUnread(req, res);
        res.writeHead(status, headers);
        res.end(body ?? undefined);
      },
      pipe(status, headers, upstream, guard) {
        // A body the guard passes byte for byte (not SSE) keeps the upstream's length: one write, no chunked
        // framing, and a client that can tell a cut body from a whole one. Only for unencoded bodies, which is
        // what the relay asks for.
        const length = upstream.headers.get('content-length');
        const encoding = upstream.headers.get('content-encoding');
        if (
          !guard.sse &&
          length !== null &&
          /^\d{1,15}$/.test(length) &&
          (encoding === null || encoding === 'identity')
        ) {
          headers['content-length'] = length;
        }
        pipeToResponse(req, res, status, headers, upstream, guard);
      },
    };
    await engine.handle(incoming, transport);
  };

  const listener: NodeListener = (req, res) => {
    serve(req, res).catch(() => {
      // Only a bug lands here; the client must not hang on it.
      res.destroy();
    });
  };
  return Object.assign(listener, {
    async ready(): Promise<void> {
      await engine.ready();
      await loadDispatcher();
    },
  });
}

/** Reads a request body into one buffer: no more than `maxBytes`, no pause longer than `timeoutMs`. */
function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<BodyBytes> {
  // The usual case: the whole body came with the headers and waits in the request's buffer (the policy ran
  // first). Taken at once: no timer, no listeners.
  if (req.complete && !req.readableFlowing && !req.readableEnded) {
    if (req.readableLength > maxBytes) {
      req.pause();
      return Promise.resolve({ ok: false, reason: 'too_large' });
    }
    const chunk = req.read() as Buffer | null;
    // A copy out of the socket's buffer: the bytes go upstream and through JSON checks on their own buffer.
    return Promise.resolve({ ok: true, bytes: chunk === null ? new Uint8Array(0) : new Uint8Array(chunk) });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    // One timer for the whole read, pushed back on progress (a timer per chunk costs more than the chunk).
    let deadline = Date.now() + timeoutMs;
    const check = () => {
      const left = deadline - Date.now();
      if (left > 0) timer = setTimeout(check, left);
      else finish({ ok: false, reason: 'timeout' });
    };
    let timer = setTimeout(check, timeoutMs);
    const finish = (result: BodyBytes) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onFail);
      req.off('close', onClose);
      // What is left unread stays unread: the answer closes the connection (closeIfUnread).
      if (!result.ok) req.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > maxBytes) {
        finish({ ok: false, reason: 'too_large' });
        return;
      }
      chunks.push(chunk);
      deadline = Date.now() + timeoutMs;
    };
    const onEnd = () => {
      // A copy out of Node's shared pool: the bytes go upstream and through JSON checks on their own buffer.
      const bytes = new Uint8Array(total);
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.byteLength;
      }
      finish({ ok: true, bytes });
    };
    const onFail = () => finish({ ok: false, reason: 'failed' });
    const onClose = () => {
      if (!req.complete) onFail();
    };
    if (req.readableEnded) {
      onEnd();
      return;
    }
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onFail);
    req.once('close', onClose);
  });
}

/**
 * Writes an upstream body into the response as it arrives, through the relay's guard (SSE event boundaries and
 * size, usage metering, idle timeout), with backpressure: a slow client pauses the upstream read.
 */
function pipeToResponse(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  upstream: DispatchedUpstream,
  guard: RelayBodyGuard,
): void {
  let done = false;
  let deadline = Date.now() + guard.idleTimeoutMs;
  const check = () => {
    const left = deadline - Date.now();
    if (left > 0) timer = setTimeout(check, left);
    else stop('upstream_timeout');
  };
  let timer = setTimeout(check, guard.idleTimeoutMs);
  const cleanup = () => {
    done = true;
    clearTimeout(timer);
    res.off('drain', onDrain);
    res.off('close', onClose);
  };
  const stop = (code: Parameters<RelayBodyGuard['fail']>[0]) => {
    if (done) return;
    cleanup();
    upstream.abort();
    const tail = guard.fail(code);
    // An SSE stream ends with an error event the SDKs raise; any other body is cut so it cannot pass for whole.
    if (tail !== null && !res.destroyed) res.end(tail);
    else res.destroy();
  };
  const onDrain = () => upstream.resume();
  const onClose = () => {
    if (!res.writableFinished) stop('client_closed_request');
  };

  if (res.destroyed) {
    stop('client_closed_request');
    return;
  }
  closeIfUnread(req, res);
  res.writeHead(status, headers);
  // A stream's headers go out now, so an SSE client sees it open before the first event; other bodies send
  // their headers with the first chunk, in one packet.
  if (guard.sse) res.flushHeaders();
  res.on('drain', onDrain);
  res.once('close', onClose);
  upstream.consume({
    data(chunk) {
      if (done) return;
      deadline = Date.now() + guard.idleTimeoutMs;
      const out = guard.push(chunk);
      // The client's socket is full: stop reading upstream until it drains (bounded memory for a slow reader).
      if (out !== null && !res.write(out)) upstream.pause();
      if (guard.failed !== undefined) stop(guard.failed);
    },
    end() {
      if (done) return;
      cleanup();
      const rest = guard.end();
      if (rest === null) res.end();
      else res.end(rest);
    },
    error: () => stop(guard.readFailure()),
  });
}
