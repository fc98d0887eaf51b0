import { createSseParser, type SseEvent } from './create-sse-parser.ts';
import { readUsage } from './read-usage.ts';
import { type RelayErrorCode, relayErrorBody } from './relay-error.ts';
import type { RelayUsage } from './relay-options.ts';

/** How a relayed body ended. */
export interface BodyOutcome {
  usage?: RelayUsage;
  /** Why it ended early. */
  error?: RelayErrorCode;
  /** The code of an error the API reported inside the stream. */
  streamError?: string;
}

/** Options of {@link pipeUpstreamBody}. */
export interface PipeOptions {
  body: ReadableStream<Uint8Array>;
  /** A `text/event-stream` body: forwarded event by event, never a torn event. */
  sse: boolean;
  /** Read token usage (and stream errors) for the event hook. */
  meter: boolean;
  idleTimeoutMs: number;
  maxEventBytes: number;
  /** Aborts the upstream request. */
  abort(): void;
  /** True once the browser has gone, so a failed read is its doing, not the upstream's. */
  clientGone(): boolean;
  /** Called once, when the body is over however it ended. */
  finish(outcome: BodyOutcome): void;
}

const encoder = new TextEncoder();
const noop = () => undefined;
// JSON bodies up to this size are parsed whole for usage; past it only the tail is kept (usage comes last).
const meterWholeBytes = 1024 * 1024;
const meterTailBytes = 64 * 1024;

/**
 * Re-streams an upstream body to the browser without buffering: each chunk is passed on as soon as it is read
 * (an SSE body as soon as an event is complete), pull-based so a slow browser slows the upstream read instead
 * of filling memory. Bounds upstream silence with `idleTimeoutMs`; ends an SSE stream that fails upstream with
 * an `error` event in OpenAI's shape (which the SDKs raise as an `APIError`), and errors any other body so it
 * cannot pass for complete. The browser going away aborts the upstream request.
 *
 * @example
 * new Response(pipeUpstreamBody({ body: upstream.body, sse: true, meter: false, idleTimeoutMs: 300_000,
 *   maxEventBytes: 8 << 20, abort: () => controller.abort(), clientGone: () => false, finish: log }));
 */
export function pipeUpstreamBody(options: PipeOptions): ReadableStream<Uint8Array> {
  const { sse, meter, idleTimeoutMs } = options;
  const reader = options.body.getReader();
  let finished = false;
  let failure: RelayErrorCode | undefined;
  let usage: RelayUsage | undefined;
  let streamError: string | undefined;
  let held: Uint8Array[] = [];
  const json = meter && !sse ? createJsonMeter() : undefined;
  const inspect = ({ event, data }: SseEvent) => {
    if (data.includes('"usage"')) usage = readUsage(parse(data)) ?? usage;
    if (event === 'error' || data.includes('"error"'))
      streamError = errorCodeOf(event, parse(data)) ?? streamError;
  };
  const parser = sse
    ? createSseParser({ maxEventBytes: options.maxEventBytes, onEvent: meter ? inspect : noop })
    : undefined;

  const end = (error?: RelayErrorCode) => {
    if (finished) return;
    finished = true;
    const outcome: BodyOutcome = {};
    const found = usage ?? json?.usage();
    if (found) outcome.usage = found;
    if (error) outcome.error = error;
    if (streamError) outcome.streamError = streamError;
    options.finish(outcome);
  };

  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, code: RelayErrorCode) => {
    held = [];
    options.abort();
    reader.cancel().catch(noop);
    end(code);
    try {
      if (sse && code !== 'client_closed_request') {
        controller.enqueue(encoder.encode(`event: error\ndata: ${JSON.stringify(relayErrorBody(code))}\n\n`));
        controller.close();
      } else controller.error(new Error(`relay: ${code}`));
    } catch {}
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        let result: ReadableStreamReadResult<Uint8Array>;
        const timer = setTimeout(() => {
          failure = 'upstream_timeout';
          options.abort();
        }, idleTimeoutMs);
        try {
          result = await reader.read();
        } catch {
          fail(
            controller,
            failure ?? (options.clientGone() ? 'client_closed_request' : 'upstream_unreachable'),
          );
          return;
        } finally {
          clearTimeout(timer);
        }
        if (result.done) {
          if (held.length > 0) controller.enqueue(concat(held));
          held = [];
          end(failure);
          controller.close();
          return;
        }
        const chunk = result.value;
        if (!parser) {
          json?.push(chunk);
          controller.enqueue(chunk);
          return;
        }
        const boundary = parser.push(chunk);
        // No event ended in this chunk: hold it (the parser caps an event's size) and read on.
        if (boundary === -1 && !parser.failed) {
          held.push(chunk);
          continue;
        }
        if (boundary >= 0) {
          const head = chunk.subarray(0, boundary);
          controller.enqueue(held.length === 0 ? head : concat([...held, head]));
          // A copy: `head` shares the buffer, and the browser side may transfer what it is given.
          held = boundary < chunk.byteLength ? [chunk.slice(boundary)] : [];
        }
        // The events before the oversized one went out whole; the oversized one never does.
        if (parser.failed) fail(controller, 'event_too_large');
        return;
      }
    },
    cancel() {
      options.abort();
      reader.cancel().catch(noop);
      end('client_closed_request');
    },
  });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The code of an error event: Chat Completions send `{error}`, the Responses API `type: 'error'` or `response.failed`. */
function errorCodeOf(event: string, value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return event === 'error' ? 'error' : undefined;
  const body = value as {
    type?: unknown;
    code?: unknown;
    error?: { code?: unknown } | null;
    response?: { error?: { code?: unknown } | null };
  };
  const error = body.error ?? (body.type === 'response.failed' ? body.response?.error : undefined);
  if (error == null && body.type !== 'error' && event !== 'error') return undefined;
  const code = error?.code ?? body.code;
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : 'error';
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes;
}

/** Collects a JSON body for its `usage`, in bounded memory: whole up to 1 MiB, else its last 64 KiB. */
function createJsonMeter(): { push(chunk: Uint8Array): void; usage(): RelayUsage | undefined } {
  let chunks: Uint8Array[] = [];
  let size = 0;
  let whole = true;
  return {
    push(chunk) {
      // Copies: the originals go on to the browser, which may transfer their buffers.
      chunks.push(chunk.slice());
      size += chunk.byteLength;
      if (size > meterWholeBytes) whole = false;
      while (!whole && chunks.length > 1 && size - chunks[0]!.byteLength >= meterTailBytes) {
        size -= chunks.shift()!.byteLength;
      }
    },
    usage() {
      const text = new TextDecoder().decode(concat(chunks));
      chunks = [];
      if (whole) return readUsage(parse(text));
      // The last `"usage":{` outside any string (inside one its quotes would be escaped), to its closing brace.
      const at = text.lastIndexOf('"usage":');
      const open = text.indexOf('{', at);
      if (at < 0 || open < 0 || text.slice(at + 8, open).trim() !== '') return undefined;
      let depth = 0;
      for (let i = open; i < text.length; i++) {
        if (text[i] === '{') depth++;
        else if (text[i] === '}' && --depth === 0)
          return readUsage({ usage: parse(text.slice(open, i + 1)) });
      }
      return undefined;
    },
  };
}
