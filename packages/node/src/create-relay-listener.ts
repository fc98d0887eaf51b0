import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type BodyBytes,
  createRelayEngine,
  type RelayBodyGuard,
  type RelayHeaders,
  type RelayIncoming,
  type RelayOptions,
  type RelayTransport,
  type RelayURL,
} from '@auth/core/relay';
import type { Dispatcher } from 'undici';
import { createLazyRequest } from './create-lazy-request.ts';
import { type DispatchedUpstream, dispatchUpstream, type UpstreamSink } from './dispatch-upstream.ts';
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
  const ownOrigin = publicOrigin === undefined ? undefined : readOrigin(publicOrigin, 'createRelayListener');
  const engine = createRelayEngine(relayOptions);
  const key = proxyKey(process.env);
  let dispatcher: Dispatcher | undefined;
  const loadDispatcher = async () => {
    dispatcher ??= dispatcherFor(await loadUndici(), key);
    return dispatcher;
  };

  // The upstream URL is always the resolver's base plus a path: split it without a URL parse per request.
  let origin = '';
  const send: RelayTransport<void, DispatchedUpstream>['send'] = (request) => {
    const { url } = request;
    if (origin === '' || !url.startsWith(origin) || url[origin.length] !== '/') origin = new URL(url).origin;
    const at = origin;
    return dispatcher !== undefined
      ? dispatchUpstream(dispatcher, at, request)
      : loadDispatcher().then((loaded) => dispatchUpstream(loaded, at, request));
  };

  // Only a bug lands here; the client must not hang on it.
  const fail = (res: ServerResponse) => res.destroy();
  const listener: NodeListener = (req, res) => {
    try {
      const method = req.method ?? 'GET';
      const url = acceptTarget(req, res, method, ownOrigin);
      if (url === undefined) return;
      const exchange = new NodeExchange(req, res, method, url, send);
      engine.handle(exchange, exchange).catch(() => fail(res));
    } catch {
      fail(res);
    }
  };
  return Object.assign(listener, {
    async ready(): Promise<void> {
      await engine.ready();
      await loadDispatcher();
    },
  });
}

/**
 * One request on the byte path: the relay's view of it (`RelayIncoming`, and its own `headers`) and the I/O that
 * answers it (`RelayTransport`), in one object with its methods on the prototype: a request allocates this, not
 * a closure per callback.
 */
class NodeExchange implements RelayIncoming, RelayTransport<void, DispatchedUpstream>, RelayHeaders {
  readonly headers: RelayHeaders = this;
  readonly hasBody: boolean;
  #gone = false;
  #onGone: (() => void) | undefined;
  #unique: boolean | undefined;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #send: RelayTransport<void, DispatchedUpstream>['send'];
  // 'close' before 'finish' is the client going away (a closed tab, an aborted fetch) mid-request or mid-stream.
  readonly #onClose = () => {
    if (this.#res.writableFinished) return;
    this.#gone = true;
    this.#onGone?.();
  };

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    readonly method: string,
    readonly url: RelayURL,
    send: RelayTransport<void, DispatchedUpstream>['send'],
  ) {
    this.#req = req;
    this.#res = res;
    this.#send = send;
    this.hasBody = hasBody(req, method);
    res.once('close', this.#onClose);
  }

  get(name: string): string | null {
    const req = this.#req;
    // Without a repeated name (the usual case) node's `headers` has every value as sent. With one, every field
    // line of a name is joined as `Headers.get` does: `headers` keeps only the first of some.
    this.#unique ??= req.rawHeaders.length === 2 * Object.keys(req.headers).length;
    const value = this.#unique ? req.headers[name] : req.headersDistinct[name];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }

  readBody(maxBytes: number, timeoutMs: number): Promise<BodyBytes> {
    return readBody(this.#req, maxBytes, timeoutMs);
  }

  clientGone(): boolean {
    return this.#gone;
  }

  onClientGone(listener: () => void): () => void {
    this.#onGone = listener;
    return () => {
      this.#onGone = undefined;
    };
  }

  toRequest(): Request {
    return createLazyRequest(this.url.href, this.method, this.#req.rawHeaders);
  }

  send(
    request: Parameters<RelayTransport<void, DispatchedUpstream>['send']>[0],
  ): Promise<DispatchedUpstream> {
    return this.#send(request);
  }

  reply(status: number, headers: Record<string, string>, body: string | null): void {
    const res = this.#res;
    if (res.destroyed) return;
    closeIfUnread(this.#req, res);
    res.writeHead(status, headers);
    res.end(body ?? undefined);
  }

  pipe(
    status: number,
    headers: Record<string, string>,
    upstream: DispatchedUpstream,
    guard: RelayBodyGuard,
  ): void {
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
    pipeToResponse(this.#req, this.#res, status, headers, upstream, guard);
  }
}

/** Reads a request body into one buffer: no more than `maxBytes`, no pause longer than `timeoutMs`. */
function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<BodyBytes> {
  // The usual case: the whole body came with the headers and waits in the request's buffer (the policy ran
  // first). Taken at once: no timer, no listeners. All the declared bytes can be buffered while `complete` is
  // still false (so it was for every bench request at this point), and they are the whole body.
  const declared = req.headers['content-length'];
  if (
    !req.readableFlowing &&
    !req.readableEnded &&
    (req.complete || (declared !== undefined && Number(declared) === req.readableLength))
  ) {
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
  if (res.destroyed) {
    upstream.abort();
    guard.fail('client_closed_request');
    return;
  }
  closeIfUnread(req, res);
  res.writeHead(status, headers);
  // A stream's headers go out now, so an SSE client sees it open before the first event; other bodies send
  // their headers with the first chunk, in one packet.
  if (guard.sse) res.flushHeaders();
  upstream.consume(new ResponsePipe(res, upstream, guard));
}

/** The sink of {@link pipeToResponse}: one object per response, its methods on the prototype. */
class ResponsePipe implements UpstreamSink {
  #done = false;
  #deadline: number;
  #timer: ReturnType<typeof setTimeout>;
  readonly #res: ServerResponse;
  readonly #upstream: DispatchedUpstream;
  readonly #guard: RelayBodyGuard;
  // One idle timer for the whole body, pushed back on progress (a timer per chunk costs more than the chunk).
  readonly #check = () => {
    const left = this.#deadline - Date.now();
    if (left > 0) this.#timer = setTimeout(this.#check, left);
    else this.#stop('upstream_timeout');
  };
  readonly #onDrain = () => this.#upstream.resume();
  readonly #onClose = () => {
    if (!this.#res.writableFinished) this.#stop('client_closed_request');
  };

  constructor(res: ServerResponse, upstream: DispatchedUpstream, guard: RelayBodyGuard) {
    this.#res = res;
    this.#upstream = upstream;
    this.#guard = guard;
    this.#deadline = Date.now() + guard.idleTimeoutMs;
    this.#timer = setTimeout(this.#check, guard.idleTimeoutMs);
    res.on('drain', this.#onDrain);
    res.once('close', this.#onClose);
  }

  data(chunk: Buffer): void {
    if (this.#done) return;
    const guard = this.#guard;
    this.#deadline = Date.now() + guard.idleTimeoutMs;
    const out = guard.push(chunk);
    // The client's socket is full: stop reading upstream until it drains (bounded memory for a slow reader).
    if (out !== null && !this.#res.write(out)) this.#upstream.pause();
    if (guard.failed !== undefined) this.#stop(guard.failed);
  }

  end(): void {
    if (this.#done) return;
    this.#cleanup();
    const rest = this.#guard.end();
    if (rest === null) this.#res.end();
    else this.#res.end(rest);
  }

  error(): void {
    this.#stop(this.#guard.readFailure());
  }

  #cleanup(): void {
    this.#done = true;
    clearTimeout(this.#timer);
    this.#res.off('drain', this.#onDrain);
    this.#res.off('close', this.#onClose);
  }

  #stop(code: Parameters<RelayBodyGuard['fail']>[0]): void {
    if (this.#done) return;
    this.#cleanup();
    this.#upstream.abort();
    const tail = this.#guard.fail(code);
    // An SSE stream ends with an error event the SDKs raise; any other body is cut so it cannot pass for whole.
    if (tail !== null && !this.#res.destroyed) this.#res.end(tail);
    else this.#res.destroy();
  }
}
