import type { BodyBytes } from './read-body-bytes.ts';

/**
 * Reads a body whose length was declared (so the runtime bounds it) with `arrayBuffer()`: native in Deno, Bun
 * and Workers, where a `ReadableStream` reader per body costs more than a small body itself. `timeoutMs` bounds
 * the whole read, not a pause (stricter than {@link readBodyBytes} for the small bodies this is meant for); the
 * caller aborts what feeds the body when it passes. A body over `maxBytes` is refused all the same.
 *
 * @example
 * const body = await readWholeBody(request, 64 * 1024, 30_000);
 */
export function readWholeBody(
  source: Pick<Body, 'arrayBuffer'>,
  maxBytes: number,
  timeoutMs: number,
): Promise<BodyBytes> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, reason: 'timeout' }), timeoutMs);
    source.arrayBuffer().then(
      (buffer) => {
        clearTimeout(timer);
        resolve(
          buffer.byteLength > maxBytes
            ? { ok: false, reason: 'too_large' }
            : { ok: true, bytes: new Uint8Array(buffer) },
        );
      },
      () => {
        clearTimeout(timer);
        resolve({ ok: false, reason: 'failed' });
      },
    );
  });
}
