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
  /** Called for each complete event, in order. */
  onEvent: (event: SseEvent) => void;
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

const LF = 10;
const CR = 13;

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
  const { maxEventBytes, onEvent } = options;
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let line: Uint8Array[] = [];
  let lineBytes = 0;
  // Bytes of the current event already consumed as complete lines.
  let eventBytes = 0;
  let data: string[] = [];
  let eventName = '';
  let afterCR: 'none' | 'line' | 'blank' = 'none';
  let firstLine = true;
  let done = false;
  let failed = false;

  const fail = (boundary: number) => {
    failed = true;
    line = [];
    data = [];
    return boundary;
  };

  // Returns true when the line was blank, i.e. an event boundary.
  const takeLine = (tail: Uint8Array): boolean => {
    const bytes = line.length === 0 ? tail : concat([...line, tail], lineBytes + tail.byteLength);
    line = [];
    lineBytes = 0;
    if (bytes.byteLength === 0) {
      if (data.length > 0 && !done) {
        const payload = data.join('\n');
        if (payload === '[DONE]') done = true;
        onEvent({ event: eventName || 'message', data: payload });
      }
      data = [];
      eventName = '';
      eventBytes = 0;
      return true;
    }
    let text = decoder.decode(bytes);
    if (firstLine && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    firstLine = false;
    if (text.startsWith(':')) return false;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') eventName = value;
    return false;
  };

  return {
    get done() {
      return done;
    },
    get failed() {
      return failed;
    },
    push(chunk) {
      if (failed) return -1;
      if (done) return chunk.byteLength;
      let boundary = -1;
      let start = 0;
      // The LF of a CRLF whose CR ended the previous chunk belongs to the line that CR ended.
      if (afterCR !== 'none' && chunk[0] === LF) {
        start = 1;
        if (afterCR === 'blank') boundary = 1;
        else eventBytes += 1;
      }
      afterCR = 'none';
      for (let i = start; i < chunk.byteLength; i++) {
        const byte = chunk[i];
        if (byte !== LF && byte !== CR) continue;
        const size = lineBytes + (i - start) + 1;
        if (eventBytes + size > maxEventBytes) return fail(boundary);
        const blank = takeLine(chunk.subarray(start, i));
        let end = i + 1;
        if (byte === CR) {
          if (end < chunk.byteLength) {
            if (chunk[end] === LF) end += 1;
          } else afterCR = blank ? 'blank' : 'line';
        }
        if (blank) boundary = end;
        else eventBytes += size + (end - i - 1);
        i = end - 1;
        start = end;
        if (done) return chunk.byteLength;
      }
      if (start < chunk.byteLength) {
        const rest = chunk.subarray(start);
        if (eventBytes + lineBytes + rest.byteLength > maxEventBytes) return fail(boundary);
        // A copy: the chunk itself goes on to the browser, which may reuse or transfer its buffer.
        line.push(rest.slice());
        lineBytes += rest.byteLength;
      }
      return boundary;
    },
  };
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes;
}
