import type { RelayUpstreamRequest, RelayUpstreamResponse } from '@auth/core/relay';
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
  const { signal } = request;
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let headSeen = false;
    let state: 'open' | 'ended' | 'failed' | 'aborted' = 'open';
    let sink: UpstreamSink | undefined;
    let held: Buffer[] = [];
    let heldSize = 0;
    let pausedWhileHeld = false;

    const close = (next: typeof state) => {
      state = next;
      signal.removeEventListener('abort', onAbort);
    };
    const abort = () => {
      if (state !== 'open') return;
      close('aborted');
      sink = undefined;
      held = [];
      controller?.abort(aborted());
    };
    function onAbort() {
      if (!headSeen) {
        headSeen = true;
        reject(aborted());
      }
      abort();
    }

    const upstream: Omit<DispatchedUpstream, 'status' | 'headers'> = {
      consume(taken) {
        sink = taken;
        const queue = held;
        held = [];
        heldSize = 0;
        for (const chunk of queue) {
          taken.data(chunk);
          if (sink !== taken) return;
        }
        if (state === 'ended') taken.end();
        else if (state !== 'open') taken.error();
        else if (pausedWhileHeld) {
          pausedWhileHeld = false;
          controller?.resume();
        }
      },
      pause: () => controller?.pause(),
      resume: () => controller?.resume(),
      abort,
      text: (maxBytes, idleTimeoutMs) => readText(upstream, maxBytes, idleTimeoutMs),
      // Nothing waits for a body the relay drops: one that is already over leaves its connection for reuse,
      // any other is aborted.
      discard: abort,
    };

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(started) {
        controller = started;
        if (state === 'aborted') started.abort(aborted());
      },
      onResponseStart(_controller, status, headers) {
        // 100 Continue, 103 Early Hints: the answer is still to come.
        if (status < 200 || headSeen) return;
        headSeen = true;
        const get = (name: string) => {
          const value = headers[name];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        };
        resolve(Object.assign(upstream, { status, headers: { get } }));
      },
      onResponseData(_controller, chunk) {
        if (sink !== undefined) {
          sink.data(chunk);
          return;
        }
        if (state !== 'open') return;
        held.push(chunk);
        heldSize += chunk.byteLength;
        if (heldSize > heldBytes && !pausedWhileHeld) {
          pausedWhileHeld = true;
          controller?.pause();
        }
      },
      onResponseEnd() {
        if (state !== 'open') return;
        close('ended');
        sink?.end();
      },
      onResponseError(_controller, error) {
        if (state !== 'open') return;
        close('failed');
        if (!headSeen) {
          headSeen = true;
          reject(error);
        } else sink?.error();
      },
    };

    signal.addEventListener('abort', onAbort);
    if (signal.aborted) {
      onAbort();
      return;
    }
    dispatcher.dispatch(
      {
        origin,
        path: request.url.slice(origin.length),
        method: request.method as Dispatcher.HttpMethod,
        // Bytes pass through untouched, so ask for them unencoded: undici does not decode gzip as fetch does.
        headers: { ...request.headers, 'accept-encoding': 'identity' },
        body: request.body ?? null,
        // The relay's own timeouts (limits.timeoutMs, idleTimeoutMs) govern; undici's 300 s defaults would cut first.
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      handler,
    );
  });
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
