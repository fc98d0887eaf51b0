import { concatBytes } from './concat-bytes.ts';
/** A body read in full, or why not. */
export type BodyBytes =
  | { ok: true; bytes: Uint8Array<ArrayBuffer> }
  | { ok: false; reason: 'too_large' | 'failed' | 'timeout' };

/**
 * Reads a stream into one buffer, refusing to hold more than `maxBytes`: the stream is cancelled as soon as
 * the limit is crossed, so a body that lies about (or omits) its length costs at most `maxBytes` plus one
 * chunk. Gives up after `timeoutMs` without progress.
 *
 * @example
 * const body = await readBodyBytes(request.body, 1024 * 1024, 30_000);
 * if (!body.ok) return new Response(null, { status: body.reason === 'too_large' ? 413 : 400 });
 */
export async function readBodyBytes(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  timeoutMs: number,
): Promise<BodyBytes> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timedOut = false;
  // One timer for the whole read, pushed back on progress (a timer per chunk costs more than the chunk).
  let deadline = Date.now() + timeoutMs;
  const check = () => {
    const left = deadline - Date.now();
    if (left > 0) {
      timer = setTimeout(check, left);
      return;
    }
    timedOut = true;
    reader.cancel().catch(() => undefined);
  };
  let timer: ReturnType<typeof setTimeout> | undefined = setTimeout(check, timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (timedOut) return { ok: false, reason: 'timeout' };
      if (done) break;
      deadline = Date.now() + timeoutMs;
      total += value.byteLength;
      if (total > maxBytes) {
        reader.cancel().catch(() => undefined);
        return { ok: false, reason: 'too_large' };
      }
      chunks.push(value);
    }
  } catch {
    reader.cancel().catch(() => undefined);
    return { ok: false, reason: timedOut ? 'timeout' : 'failed' };
  } finally {
    clearTimeout(timer);
  }
  return { ok: true, bytes: concatBytes(chunks, total) };
}
