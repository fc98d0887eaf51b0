import { describe, expect, it } from 'vitest';
import { readWholeBody } from './read-whole-body.ts';

const bytesOf = (text: string) => new TextEncoder().encode(text);

/** A body that sends `parts` one every `everyMs`, then ends (or, with `fail`, errors). */
function dripping(parts: string[], everyMs: number, fail = false): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, everyMs));
      if (at < parts.length) controller.enqueue(bytesOf(parts[at++]!));
      else if (fail) controller.error(new Error('connection reset'));
      else controller.close();
    },
  });
}

describe('readWholeBody', () => {
  it('gives the bytes of a request and of a response, and never calls onTimeout after a read', async () => {
    let timedOut = 0;
    const request = new Request('http://app.test/', { method: 'POST', body: '{"model":"gpt-4o-mini"}' });
    const read = await readWholeBody(request, 1024, 50, () => timedOut++);
    expect(read).toEqual({ ok: true, bytes: bytesOf('{"model":"gpt-4o-mini"}') });
    const response = await readWholeBody(new Response(dripping(['a', 'b', 'c'], 5)), 1024, 1000);
    expect(response.ok && new TextDecoder().decode(response.bytes)).toBe('abc');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(timedOut).toBe(0);
  });

  it('bounds the whole read, not a pause: steady 40 ms drips past 150 ms in total time out, and onTimeout runs once', async () => {
    let timedOut = 0;
    const started = Date.now();
    const read = await readWholeBody(
      new Response(dripping(['1', '2', '3', '4', '5', '6', '7', '8'], 40)),
      1024,
      150,
      () => timedOut++,
    );
    expect(read).toEqual({ ok: false, reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(300);
    expect(timedOut).toBe(1);
  });

  it('a body that fails is `failed`; one over maxBytes is `too_large`', async () => {
    expect(await readWholeBody(new Response(dripping(['{"a":'], 1, true)), 1024, 1000)).toEqual({
      ok: false,
      reason: 'failed',
    });
    expect(await readWholeBody(new Response('x'.repeat(11)), 10, 1000)).toEqual({
      ok: false,
      reason: 'too_large',
    });
    expect(await readWholeBody(new Response('x'.repeat(10)), 10, 1000)).toMatchObject({ ok: true });
  });
});
