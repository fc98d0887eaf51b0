import { concatBytes } from './concat-bytes.ts';
import { createSseParser, type SseEvent, type SseParser } from './create-sse-parser.ts';
import { parseJsonText as parse } from './parse-json-text.ts';
import { readJsonUsage, readUsage } from './read-usage.ts';
import { type RelayErrorCode, relayErrorBody } from './relay-error.ts';
import type { RelayUsage } from './relay-options.ts';

/** What an event must contain to carry usage or an error. */
const mentionsUsageOrError = /"(?:usage|error)"/;

/** How a relayed body ended. */
export interface BodyOutcome {
  usage?: RelayUsage;
  /** Why it ended early. */
  error?: RelayErrorCode;
  /** The code of an error the API reported inside the stream. */
  streamError?: string;
}

/** Options of {@link createBodyGuard}. */
export interface BodyGuardOptions {
  /** A `text/event-stream` body: forwarded event by event, never a torn event. */
  sse: boolean;
  /** Read token usage (and stream errors) for the event hook. */
  meter: boolean;
  idleTimeoutMs: number;
  maxEventBytes: number;
  /** Aborts the upstream request. */
  abort(): void;
  /** True once the client has gone, so a failed upstream read is its doing, not the upstream's. */
  clientGone(): boolean;
  /** Called once, when the body is over however it ended. */
  finish(outcome: BodyOutcome): void;
}

/**
 * The relay's policy over a response body as it passes, chunk by chunk, whatever moves the bytes (a Web
 * `ReadableStream`, or a runtime's own sockets). The transport reads upstream, hands each chunk to `push` and
 * writes what it returns; it stops early through `fail` (idle timeout, upstream error, client gone, or
 * `failed` after a push) and calls `end` when the upstream body is complete.
 */
export interface RelayBodyGuard {
  /** The body is a `text/event-stream`. */
  readonly sse: boolean;
  /** Longest upstream silence allowed between two chunks; then `fail('upstream_timeout')`. */
  readonly idleTimeoutMs: number;
  /**
   * What to send the client for this upstream chunk, or `null` for nothing yet (an SSE event is held until it
   * is complete). Afterwards `failed` may be set: then send what this returned and call `fail(failed)`.
   */
  push(chunk: Uint8Array): Uint8Array | null;
  /** Set by `push` when the stream must stop (an SSE event over `maxEventBytes`). */
  readonly failed: RelayErrorCode | undefined;
  /** The upstream body is complete: the last bytes to send (`null`: none), and the outcome is reported. */
  end(): Uint8Array | null;
  /**
   * Stops early: aborts the upstream request and reports the outcome (once, however often it is called: an
   * idle timer may call it before the failed read does). Returns a final SSE `error` event (in
   * OpenAI's shape, which the SDKs raise as an `APIError`) to send before ending the response, or `null` when
   * the response must be cut instead so it cannot pass for complete (a non-SSE body, or the client is gone).
   */
  fail(code: RelayErrorCode): Uint8Array | null;
  /** The upstream read failed: the code to `fail` with (the client leaving, else an unreachable upstream). */
  readFailure(): RelayErrorCode;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
// JSON bodies up to this size are parsed whole for usage; past it only the tail is kept (usage comes last).
const meterWholeBytes = 1024 * 1024;
const meterTailBytes = 64 * 1024;

/**
 * Creates the per-response {@link RelayBodyGuard}: SSE bodies pass event by event (never a torn event, never
 * an event over `maxEventBytes`), other bodies chunk by chunk; usage and in-stream API errors are read on the
 * way for `onEvent`, in bounded memory.
 *
 * @example
 * const guard = createBodyGuard({ sse: true, meter: false, idleTimeoutMs: 300_000, maxEventBytes: 8 << 20,
 *   abort: () => controller.abort(), clientGone: () => false, finish: log });
 * const out = guard.push(chunk); // write `out` when not null; then check guard.failed
 */
export function createBodyGuard(options: BodyGuardOptions): RelayBodyGuard {
  return new BodyGuard(options);
}

/** One response's guard: a class, so a response allocates one object, not a closure per method. */
class BodyGuard implements RelayBodyGuard {
  readonly sse: boolean;
  readonly idleTimeoutMs: number;
  #failed: RelayErrorCode | undefined;
  #finished = false;
  #usage: RelayUsage | undefined;
  #streamError: string | undefined;
  #held: Uint8Array[] = [];
  readonly #options: BodyGuardOptions;
  readonly #json: JsonMeter | undefined;
  readonly #parser: SseParser | undefined;

  constructor(options: BodyGuardOptions) {
    const { sse, meter } = options;
    this.sse = sse;
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.#options = options;
    this.#json = meter && !sse ? new JsonMeter() : undefined;
    this.#parser = sse
      ? createSseParser({
          maxEventBytes: options.maxEventBytes,
          onEvent: meter ? (event) => this.#inspect(event) : undefined,
        })
      : undefined;
  }

  get failed(): RelayErrorCode | undefined {
    return this.#failed;
  }

  push(chunk: Uint8Array): Uint8Array | null {
    const parser = this.#parser;
    if (!parser) {
      this.#json?.push(chunk);
      return chunk;
    }
    const boundary = parser.push(chunk);
    // The events before an oversized one go out whole; the oversized one never does.
    if (parser.failed) this.#failed = 'event_too_large';
    const held = this.#held;
    // No event ended in this chunk: hold it (the parser caps an event's size) and read on.
    if (boundary === -1) {
      if (!parser.failed) held.push(chunk);
      return null;
    }
    const head = boundary === chunk.byteLength ? chunk : chunk.subarray(0, boundary);
    const out = held.length === 0 ? head : concatBytes([...held, head]);
    // A copy: `head` shares the buffer, and the client side may transfer what it is given.
    this.#held = boundary < chunk.byteLength && !parser.failed ? [chunk.slice(boundary)] : [];
    return out;
  }

  end(): Uint8Array | null {
    const rest = this.#held.length > 0 ? concatBytes(this.#held) : null;
    this.#held = [];
    this.#report();
    return rest;
  }

  fail(code: RelayErrorCode): Uint8Array | null {
    this.#held = [];
    this.#options.abort();
    this.#report(code);
    return this.sse && code !== 'client_closed_request'
      ? encoder.encode(`event: error\ndata: ${JSON.stringify(relayErrorBody(code))}\n\n`)
      : null;
  }

  readFailure(): RelayErrorCode {
    return this.#options.clientGone() ? 'client_closed_request' : 'upstream_unreachable';
  }

  #inspect({ event, data }: SseEvent): void {
    // Most events carry neither; one regular expression rules them out for a fifth of two `includes` (V8).
    if (event !== 'error' && !mentionsUsageOrError.test(data)) return;
    if (data.includes('"usage"')) this.#usage = readUsage(parse(data)) ?? this.#usage;
    if (event === 'error' || data.includes('"error"'))
      this.#streamError = errorCodeOf(event, parse(data)) ?? this.#streamError;
  }

  #report(error?: RelayErrorCode): void {
    if (this.#finished) return;
    this.#finished = true;
    const outcome: BodyOutcome = {};
    const found = this.#usage ?? this.#json?.usage();
    if (found) outcome.usage = found;
    if (error) outcome.error = error;
    if (this.#streamError) outcome.streamError = this.#streamError;
    this.#options.finish(outcome);
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

/** Collects a JSON body for its `usage`, in bounded memory: whole up to 1 MiB, else its last 64 KiB. */
class JsonMeter {
  #chunks: Uint8Array[] = [];
  #size = 0;
  #whole = true;

  push(chunk: Uint8Array): void {
    const chunks = this.#chunks;
    // Copies: the originals go on to the client, which may transfer their buffers.
    chunks.push(chunk.slice());
    this.#size += chunk.byteLength;
    if (this.#size > meterWholeBytes) this.#whole = false;
    while (!this.#whole && chunks.length > 1 && this.#size - chunks[0]!.byteLength >= meterTailBytes) {
      this.#size -= chunks.shift()!.byteLength;
    }
  }

  usage(): RelayUsage | undefined {
    const chunks = this.#chunks;
    const text = decoder.decode(chunks.length === 1 ? chunks[0] : concatBytes(chunks));
    this.#chunks = [];
    if (this.#whole) return readJsonUsage(text);
    // Past 1 MiB only the tail is kept: from the last `"usage":` on, it is the end of the top-level object
    // when usage is a top-level key, and then `{` before it makes one JSON object again (anything else doesn't).
    const at = text.lastIndexOf('"usage":');
    return at < 0 ? undefined : readJsonUsage(`{${text.slice(at)}`);
  }
}
