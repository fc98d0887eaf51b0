import { concatBytes } from './concat-bytes.ts';

/** One dispatched server-sent event. */
export interface SseEvent {
  /** The `event:` field; `message` when none was given. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
}

/** Options of {@link createSseParser}. */
export interface SseParserOptions {
  /** Largest event, in bytes on the wire, before the parser gives up. */
  maxEventBytes: number;
  /**
   * Called for each complete event, in order. Without it no value is decoded at all (the end is still found:
   * `[DONE]` is compared as bytes), which is most of a stream's parsing cost.
   */
  onEvent?: ((event: SseEvent) => void) | undefined;
}

/** An incremental SSE parser. */
export interface SseParser {
  /**
   * Feeds the next chunk. Returns the offset in `chunk` just past the last event that ended in it (where
   * bytes can be cut without tearing an event), or `-1` if none ended. When an event grows past
   * `maxEventBytes`, `failed` turns true: the parser drops what it held and ignores further input, and the
   * offset returned still marks the events that ended before it.
   */
  push(chunk: Uint8Array): number;
  /** True once an event's data was exactly `[DONE]`; later input is not parsed. */
  readonly done: boolean;
  /** True once an event was too large. */
  readonly failed: boolean;
}

// Lines are decoded whole, never streamed, so one decoder serves every parser (one per stream cost more than
// a short stream's decoding in Bun).
const lineDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;

/**
 * A byte-level parser for `text/event-stream` (WHATWG HTML §9.2.6): lines end in CRLF, LF or CR, even when a
 * CRLF or a multibyte character is split across chunks; lines are decoded only once complete; only an event
 * whose data is exactly `[DONE]` marks the end (`[DONE]x` or `[DONE]` on one line of a multi-line event does
 * not). Memory is bounded: what it holds never exceeds one event, capped at `maxEventBytes`.
 *
 * @example
 * const parser = createSseParser({ maxEventBytes: 8 << 20, onEvent: ({ data }) => console.log(data) });
 * for await (const chunk of response.body) if (parser.push(chunk) && parser.failed) break;
 */
export function createSseParser(options: SseParserOptions): SseParser {
  return new LineParser(options.maxEventBytes, options.onEvent);
}

/**
 * {@link createSseParser}'s parser, a class: one per stream, and a parser of closures cost about 5 µs to make
 * on Node (more than parsing a short stream's lines).
 */
class LineParser implements SseParser {
  done = false;
  failed = false;
  readonly #maxEventBytes: number;
  readonly #onEvent: ((event: SseEvent) => void) | undefined;
  #line: Uint8Array[] = [];
  #lineBytes = 0;
  // Bytes of the current event already consumed as complete lines.
  #eventBytes = 0;
  #data: string[] = [];
  // Without `onEvent`: how many data lines the event has, and whether the only one so far is `[DONE]`.
  #dataLines = 0;
  #doneLine = false;
  #eventName = '';
  #afterCR: 'none' | 'line' | 'blank' = 'none';
  #firstLine = true;

  constructor(maxEventBytes: number, onEvent: ((event: SseEvent) => void) | undefined) {
    this.#maxEventBytes = maxEventBytes;
    this.#onEvent = onEvent;
  }

  push(chunk: Uint8Array): number {
    if (this.failed) return -1;
    if (this.done) return chunk.byteLength;
    const maxEventBytes = this.#maxEventBytes;
    const length = chunk.byteLength;
    let boundary = -1;
    let start = 0;
    // The LF of a CRLF whose CR ended the previous chunk belongs to the line that CR ended.
    if (this.#afterCR !== 'none' && chunk[0] === LF) {
      start = 1;
      if (this.#afterCR === 'blank') boundary = 1;
      else this.#eventBytes += 1;
    }
    this.#afterCR = 'none';
    // Line ends are found by indexOf (native), not byte by byte in JS: the API sends LF only, so the CR
    // search is usually one scan that finds nothing.
    let lf = chunk.indexOf(LF, start);
    let cr = chunk.indexOf(CR, start);
    for (;;) {
      if (lf !== -1 && lf < start) lf = chunk.indexOf(LF, start);
      if (cr !== -1 && cr < start) cr = chunk.indexOf(CR, start);
      const i = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr;
      if (i === -1) break;
      const size = this.#lineBytes + (i - start) + 1;
      if (this.#eventBytes + size > maxEventBytes) return this.#fail(boundary);
      const blank = this.#takeLine(chunk, start, i);
      let end = i + 1;
      if (i === cr) {
        if (end < length) {
          if (chunk[end] === LF) end += 1;
        } else this.#afterCR = blank ? 'blank' : 'line';
      }
      if (blank) boundary = end;
      else this.#eventBytes += size + (end - i - 1);
      start = end;
      if (this.done) return length;
    }
    if (start < length) {
      if (this.#eventBytes + this.#lineBytes + (length - start) > maxEventBytes) return this.#fail(boundary);
      // A copy: the chunk itself goes on to the browser, which may reuse or transfer its buffer.
      this.#line.push(chunk.slice(start));
      this.#lineBytes += length - start;
    }
    return boundary;
  }

  #fail(boundary: number): number {
    this.failed = true;
    this.#line = [];
    this.#data = [];
    return boundary;
  }

  // Takes the line that ends at `to` in `chunk` (what `#line` holds of it came in earlier chunks). Returns true
  // when it was blank, i.e. an event boundary.
  #takeLine(chunk: Uint8Array, from: number, to: number): boolean {
    const onEvent = this.#onEvent;
    if (this.#lineBytes === 0 && from === to) {
      if (onEvent === undefined) {
        if (this.#dataLines === 1 && this.#doneLine) this.done = true;
        this.#dataLines = 0;
      } else {
        const data = this.#data;
        if (data.length > 0 && !this.done) {
          const payload = data.length === 1 ? data[0]! : data.join('\n');
          if (payload === '[DONE]') this.done = true;
          onEvent({ event: this.#eventName || 'message', data: payload });
        }
        this.#data = [];
      }
      this.#eventName = '';
      this.#eventBytes = 0;
      return true;
    }
    let bytes = chunk;
    let start = from;
    let end = to;
    if (this.#lineBytes > 0) {
      bytes = concatBytes([...this.#line, chunk.subarray(from, to)], this.#lineBytes + (to - from));
      start = 0;
      end = bytes.byteLength;
      this.#line = [];
      this.#lineBytes = 0;
    }
    // Fields are ASCII, so they are found in the bytes; only a value the event needs is decoded.
    if (this.#firstLine && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf)
      start += 3;
    this.#firstLine = false;
    // Searched within the line only: a chunk of many colon-less lines must not cost a scan per line to its end.
    let colon = start;
    while (colon < end && bytes[colon] !== COLON) colon++;
    if (named(bytes, start, colon, 'data')) {
      if (onEvent !== undefined) this.#data.push(fieldValue(bytes, colon, end));
      else {
        this.#dataLines += 1;
        this.#doneLine = named(bytes, valueStart(bytes, colon, end), end, '[DONE]');
      }
    } else if (onEvent !== undefined && named(bytes, start, colon, 'event')) {
      this.#eventName = fieldValue(bytes, colon, end);
    }
    return false;
  }
}

/** The value after `colon` (none: empty). */
function fieldValue(bytes: Uint8Array, colon: number, end: number): string {
  const from = valueStart(bytes, colon, end);
  return from >= end ? '' : lineDecoder.decode(bytes.subarray(from, end));
}

/** Where a field's value starts: after `colon` and one leading space. */
function valueStart(bytes: Uint8Array, colon: number, end: number): number {
  return colon + 1 < end && bytes[colon + 1] === SPACE ? colon + 2 : colon + 1;
}

/** `bytes[start, end)` is the ASCII `name`. */
function named(bytes: Uint8Array, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (bytes[start + i] !== name.charCodeAt(i)) return false;
  return true;
}
