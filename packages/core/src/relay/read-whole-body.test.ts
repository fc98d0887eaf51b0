import { describe, expect, it, vi } from 'vitest';
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
  it('gives the bytes of a request and of a response, and leaves no timer behind', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const request = new Request('http://app.test/', { method: 'POST', body: '{"model":"gpt-4o-mini"}' });
      const read = await readWholeBody(request, 1024, 600_000);
      expect(read).toEqual({ ok: true, bytes: bytesOf('{"model":"gpt-4o-mini"}') });
      const response = await readWholeBody(new Response('abc'), 1024, 600_000);
      expect(response.ok && new TextDecoder().decode(response.bytes)).toBe('abc');
      // A timer per request left for its whole timeout would pile up under load.
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('bounds the whole read, not a pause: steady 40 ms drips past 150 ms in total time out', async () => {
    const started = Date.now();
    const read = await readWholeBody(
      new Response(dripping(['1', '2', '3', '4', '5', '6', '7', '8'], 40)),
      1024,
      150,
    );
    expect(read).toEqual({ ok: false, reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(300);
    // The same body with time enough arrives whole.
    const whole = await readWholeBody(new Response(dripping(['1', '2', '3'], 10)), 1024, 1000);
    expect(whole.ok && new TextDecoder().decode(whole.bytes)).toBe('123');
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
