import type { RelayBodyGuard } from './create-body-guard.ts';

const noop = () => undefined;

/**
 * Re-streams an upstream body as a Web `ReadableStream`, through the relay's {@link RelayBodyGuard}: each chunk
 * is passed on as soon as the guard lets it (an SSE event as soon as it is complete), pull-based so a slow
 * client slows the upstream read instead of filling memory. Bounds upstream silence with the guard's idle
 * timeout; a stream that fails ends with the guard's SSE `error` event, or errors so it cannot pass for
 * complete. Cancelling it (the client went away) aborts the upstream request.
 *
 * @example
 * new Response(pipeUpstreamBody(upstream.body, guard), { status: 200, headers });
 */
export function pipeUpstreamBody(
  body: ReadableStream<Uint8Array>,
  guard: RelayBodyGuard,
): ReadableStream<Uint8Array> {
  const reader = openReader(body);
  let timedOut = false;
  // One idle timer for the whole body, pushed back on progress: a timer per read costs more than an SSE event.
  let deadline = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = () => {
    // Paused while the client has not pulled: `arm` starts a new timer when reading resumes.
    if (deadline === Number.POSITIVE_INFINITY) {
      timer = undefined;
      return;
    }
    const left = deadline - Date.now();
    if (left > 0) {
      timer = setTimeout(check, left);
      return;
    }
    timer = undefined;
    timedOut = true;
    // Aborts the upstream request, so the pending read fails and `pull` ends the stream with the error.
    guard.fail('upstream_timeout');
  };
  const arm = () => {
    deadline = Date.now() + guard.idleTimeoutMs;
    timer ??= setTimeout(check, guard.idleTimeoutMs);
  };
  const disarm = () => {
    clearTimeout(timer);
    timer = undefined;
  };

  const stop = (
    controller: ReadableStreamDefaultController<Uint8Array>,
    code: Parameters<RelayBodyGuard['fail']>[0],
  ) => {
    disarm();
    reader.cancel().catch(noop);
    const tail = guard.fail(code);
    try {
      if (tail === null) controller.error(new Error(`relay: ${code}`));
      else {
        controller.enqueue(tail);
        controller.close();
      }
    } catch {}
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        let result: { done: boolean; value?: Uint8Array | undefined };
        // Armed only while waiting on the upstream: a slow client is not upstream silence.
        arm();
        try {
          result = await reader.read();
        } catch {
          stop(controller, timedOut ? 'upstream_timeout' : guard.readFailure());
          return;
        }
        if (result.done) {
          disarm();
          const rest = guard.end();
          if (rest !== null) controller.enqueue(rest);
          controller.close();
          return;
        }
        const out = guard.push(result.value!);
        if (out !== null) controller.enqueue(out);
        if (guard.failed !== undefined) {
          stop(controller, guard.failed);
          return;
        }
        if (out !== null) {
          // Waiting for the client to pull again; the timer fires only if the upstream is still silent then.
          deadline = Number.POSITIVE_INFINITY;
          return;
        }
      }
    },
    cancel() {
      disarm();
      reader.cancel().catch(noop);
      guard.fail('client_closed_request');
    },
  });
}

/** One read: `value` is the guard's own copy when the reader reuses its buffer. */
interface BodyReader {
  read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>;
  cancel(): Promise<void>;
}

// What one read may fill: an SSE event is a few hundred bytes; a big JSON body comes in pieces of this.
const readBufferBytes = 32 * 1024;
let notByteStreams = false;

/**
 * A reader of the upstream body. A byte stream (what `fetch` bodies are in Deno, Node and Workers) is read in
 * BYOB mode into one buffer that is reused, each chunk copied out for the guard. Measured in Deno, where the
 * default reader is costly per chunk: a bare pull wrapper around a 21-event stream went from 1.5 to 0.8 ms of
 * CPU, the whole relay's SSE stream from about 2.9 to 2.6 ms. Any other stream (Bun's) gets the default reader.
 */
function openReader(body: ReadableStream<Uint8Array>): BodyReader {
  if (notByteStreams) return body.getReader();
  let byob: ReadableStreamBYOBReader;
  try {
    byob = body.getReader({ mode: 'byob' });
  } catch {
    // Bun's fetch bodies are not byte streams, and the TypeError cost about 15 µs per stream: once one was
    // refused, later ones go straight to the default reader (which reads any stream; BYOB only saves work).
    notByteStreams = true;
    return body.getReader();
  }
  let buffer = new Uint8Array(readBufferBytes);
  return {
    async read() {
      const { done, value } = await byob.read(buffer);
      if (done || value === undefined) return { done: true };
      // The buffer comes back (transferred) with the chunk: reuse it, and hand the guard a copy it may hold.
      buffer = new Uint8Array(value.buffer);
      return { done: false, value: value.slice() };
    },
    cancel: () => byob.cancel(),
  };
}
