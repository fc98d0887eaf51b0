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
  const reader = body.getReader();
  let timedOut = false;

  const stop = (
    controller: ReadableStreamDefaultController<Uint8Array>,
    code: Parameters<RelayBodyGuard['fail']>[0],
  ) => {
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
        let result: ReadableStreamReadResult<Uint8Array>;
        const timer = setTimeout(() => {
          timedOut = true;
          guard.fail('upstream_timeout');
        }, guard.idleTimeoutMs);
        try {
          result = await reader.read();
        } catch {
          stop(controller, timedOut ? 'upstream_timeout' : guard.readFailure());
          return;
        } finally {
          clearTimeout(timer);
        }
        if (result.done) {
          const rest = guard.end();
          if (rest !== null) controller.enqueue(rest);
          controller.close();
          return;
        }
        const out = guard.push(result.value);
        if (out !== null) controller.enqueue(out);
        if (guard.failed !== undefined) {
          stop(controller, guard.failed);
          return;
        }
        if (out !== null) return;
      }
    },
    cancel() {
      reader.cancel().catch(noop);
      guard.fail('client_closed_request');
    },
  });
}
