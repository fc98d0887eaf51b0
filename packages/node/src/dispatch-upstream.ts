import type { RelayHeaders, RelayUpstreamRequest, RelayUpstreamResponse } from '@auth/core/relay';
import type { Dispatcher } from 'undici';

/** Where an upstream body goes once someone takes it. Each is called at most once after the last `data`. */
export interface UpstreamSink {
  data(chunk: Buffer): void;
  end(): void;
  error(): void;
}

/** An upstream answer from {@link dispatchUpstream}: the head for the relay's policy, the body still coming. */
export interface DispatchedUpstream extends RelayUpstreamResponse {
  /** Hands the body to `sink`: what arrived so far at once, the rest as it comes. Called once. */
  consume(sink: UpstreamSink): void;
  /** Stops reading the upstream socket (backpressure) until `resume`. */
  pause(): void;
  resume(): void;
  /** Aborts the upstream request if its body is not over yet; the sink hears no more. */
  abort(): void;
}

// A body that arrives before anyone takes it is held up to this much, then the socket is paused: between the
// head and `consume` there are only a few microtasks, so this is one socket read at most in practice.
const heldBytes = 1024 * 1024;
const aborted = () => new Error('relay: upstream request aborted');

/**
 * Sends `request` through undici's `dispatch` with a handler of our own: resolves with the response head, then
 * hands each body chunk straight to a sink. No promise per chunk, no `Readable` per response, nothing between
 * undici's parser and the `ServerResponse` but the relay's guard: the same I/O a bare `Pool.stream` forwarder
 * does.
 *
 * It rejects as soon as `signal` aborts, even while undici is still connecting: undici acts on an abort only
 * once it has a connection (nodejs/undici#386), so an upstream that never accepts would otherwise hold the
 * request until its own 10 s connect timeout, past `limits.timeoutMs` and past a client that left.
 * Informational (1xx) heads are skipped.
 */
export function dispatchUpstream(
  dispatcher: Dispatcher,
  origin: string,
  request: RelayUpstreamRequest,
): Promise<DispatchedUpstream> {
  return new Promise((resolve, reject) => {
    const call = new UpstreamCall(request.signal, resolve, reject);
    if (call.settled) return;
    dispatcher.dispatch(
      {
        origin,
        path: request.url.slice(origin.length),
        method: request.method as Dispatcher.HttpMethod,
        // Bytes pass through untouched, so ask for them unencoded: undici does not decode gzip as fetch does.
        headers: withIdentity(request.headers),
        body: request.body ?? null,
        // The relay's own timeouts (limits.timeoutMs, idleTimeoutMs) govern; undici's 300 s defaults would cut first.
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      call,
    );
  });
}

/** The headers plus `Accept-Encoding: identity`, copied without a spread (V8's slow path for mixed shapes). */
function withIdentity(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) out[name] = headers[name]!;
  out['accept-encoding'] = 'identity';
  return out;
}

/**
 * One upstream exchange: undici's handler and the relay's view of the answer in one object, its methods on the
 * prototype (a request allocates this object, not a closure per callback). It is its own `headers` view.
 */
class UpstreamCall implements Dispatcher.DispatchHandler, DispatchedUpstream {
  status = 0;
  readonly headers: RelayHeaders = this;
  /** The promise is settled: resolved with the head, or rejected. */
  settled = false;
  #controller: Dispatcher.DispatchController | undefined;
  #state: 'open' | 'ended' | 'failed' | 'aborted' = 'open';
  #sink: UpstreamSink | undefined;
  #head: Record<string, string | string[] | undefined> = {};
  #held: Buffer[] = [];
  #heldSize = 0;
  #pausedWhileHeld = false;
  readonly #signal: RelayUpstreamRequest['signal'];
  readonly #resolve: (upstream: DispatchedUpstream) => void;
  readonly #reject: (error: unknown) => void;
  readonly #onAbort = () => {
    if (!this.settled) {
      this.settled = true;
      this.#reject(aborted());
    }
    this.abort();
  };

  constructor(
    signal: RelayUpstreamRequest['signal'],
    resolve: (upstream: DispatchedUpstream) => void,
    reject: (error: unknown) => void,
  ) {
    this.#signal = signal;
    this.#resolve = resolve;
    this.#reject = reject;
    signal.addEventListener('abort', this.#onAbort);
    if (signal.aborted) this.#onAbort();
  }

  get(name: string): string | null {
    const value = this.#head[name];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }

  consume(sink: UpstreamSink): void {
    this.#sink = sink;
    const queue = this.#held;
    this.#held = [];
    this.#heldSize = 0;
    for (const chunk of queue) {
      sink.data(chunk);
      if (this.#sink !== sink) return;
    }
    if (this.#state === 'ended') sink.end();
    else if (this.#state !== 'open') sink.error();
    else if (this.#pausedWhileHeld) {
      this.#pausedWhileHeld = false;
      this.#controller?.resume();
    }
  }

  pause(): void {
    this.#controller?.pause();
  }

  resume(): void {
    this.#controller?.resume();
  }

  abort(): void {
    if (this.#state !== 'open') return;
    this.#close('aborted');
    this.#sink = undefined;
    this.#held = [];
    this.#controller?.abort(aborted());
  }

  text(maxBytes: number, idleTimeoutMs: number): Promise<string | undefined> {
    return readText(this, maxBytes, idleTimeoutMs);
  }

  // Nothing waits for a body the relay drops: one that is already over leaves its connection for reuse, any
  // other is aborted.
  discard(): void {
    this.abort();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#state === 'aborted') controller.abort(aborted());
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // 100 Continue, 103 Early Hints: the answer is still to come.
    if (status < 200 || this.settled) return;
    this.settled = true;
    this.status = status;
    this.#head = headers;
    this.#resolve(this);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#sink !== undefined) {
      this.#sink.data(chunk);
      return;
    }
    if (this.#state !== 'open') return;
    this.#held.push(chunk);
    this.#heldSize += chunk.byteLength;
    if (this.#heldSize > heldBytes && !this.#pausedWhileHeld) {
      this.#pausedWhileHeld = true;
      this.#controller?.pause();
    }
  }

  onResponseEnd(): void {
    if (this.#state !== 'open') return;
    this.#close('ended');
    this.#sink?.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#state !== 'open') return;
    this.#close('failed');
    if (!this.settled) {
      this.settled = true;
      this.#reject(error);
    } else this.#sink?.error();
  }

  #close(next: 'ended' | 'failed' | 'aborted'): void {
    this.#state = next;
    this.#signal.removeEventListener('abort', this.#onAbort);
  }
}

/** Reads a small upstream body as text: `undefined` past `maxBytes`, after `idleTimeoutMs` of silence, or on error. */
function readText(
  upstream: Pick<DispatchedUpstream, 'consume' | 'abort'>,
  maxBytes: number,
  idleTimeoutMs: number,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (text: string | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (text === undefined) upstream.abort();
      resolve(text);
    };
    let timer = setTimeout(() => finish(undefined), idleTimeoutMs);
    upstream.consume({
      data(chunk) {
        total += chunk.byteLength;
        if (total > maxBytes) return finish(undefined);
        chunks.push(chunk);
        clearTimeout(timer);
        timer = setTimeout(() => finish(undefined), idleTimeoutMs);
      },
      end: () => finish(new TextDecoder().decode(Buffer.concat(chunks, total))),
      error: () => finish(undefined),
    });
  });
}
