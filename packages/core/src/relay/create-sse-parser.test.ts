import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSseParser, type SseEvent } from './create-sse-parser.ts';

const encoder = new TextEncoder();
const MiB = 1024 * 1024;

/** Feeds `chunks` like the relay does; returns the events and the bytes it would have forwarded. */
function run(chunks: readonly Uint8Array[], maxEventBytes = 8 * MiB) {
  const events: SseEvent[] = [];
  const parser = createSseParser({ maxEventBytes, onEvent: (event) => events.push(event) });
  const forwarded: number[] = [];
  let held: number[] = [];
  for (const chunk of chunks) {
    const boundary = parser.push(chunk);
    if (boundary >= 0) {
      forwarded.push(...held, ...chunk.subarray(0, boundary));
      held = [...chunk.subarray(boundary)];
    } else held.push(...chunk);
    if (parser.failed) break;
  }
  return { events, parser, forwarded: new Uint8Array(forwarded), held: new Uint8Array(held) };
}

function splitAt(bytes: Uint8Array, ...offsets: number[]): Uint8Array[] {
  const cuts = [0, ...offsets, bytes.byteLength];
  return cuts.slice(1).map((end, i) => bytes.slice(cuts[i], end));
}

const stream = [
  '\uFEFFdata: {"id":1,"text":"héllo €𝄞"}\n\n',
  ': a comment\r\n',
  'event: response.output_text.delta\r\n',
  'id: 7\r\n',
  'data: line one\r\n',
  'data:line two\r\n\r\n',
  'retry: 100\r',
  'data: cr only\r\r',
  'data\n\n',
  'data: {"error":{"code":"server_error"}}\n',
  'event: error\n\n',
  'data: [DONE]\n\n',
].join('');
const expected: SseEvent[] = [
  { event: 'message', data: '{"id":1,"text":"héllo €𝄞"}' },
  { event: 'response.output_text.delta', data: 'line one\nline two' },
  { event: 'message', data: 'cr only' },
  { event: 'message', data: '' },
  { event: 'error', data: '{"error":{"code":"server_error"}}' },
  { event: 'message', data: '[DONE]' },
];

describe('createSseParser (C24)', () => {
  it('C24: the same events whatever byte offset a chunk ends at (CRLF, CR, multibyte UTF-8, BOM)', () => {
    const bytes = encoder.encode(stream);
    expect(run([bytes]).events).toEqual(expected);
    for (let i = 1; i < bytes.byteLength; i++) {
      const { events, parser } = run(splitAt(bytes, i));
      expect(events, `split at ${i}`).toEqual(expected);
      expect(parser.done).toBe(true);
    }
  });

  it('C24: the same events for any chunking at all, and only whole events are ever forwarded', () => {
    const bytes = encoder.encode(stream);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: bytes.byteLength - 1 }), { maxLength: 40 }),
        (cuts) => {
          const { events, forwarded, held } = run(splitAt(bytes, ...cuts.sort((a, b) => a - b)));
          expect(events).toEqual(expected);
          // Forwarded + held is the input, byte for byte, and the forwarded part parses to whole events.
          expect(new Uint8Array([...forwarded, ...held])).toEqual(bytes);
          expect(run([forwarded]).events).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('C24: a CRLF split across chunks is one line end, not two (no phantom blank line)', () => {
    const { events } = run([
      encoder.encode('data: a\r'),
      encoder.encode('\ndata: b\r'),
      encoder.encode('\n\r'),
      encoder.encode('\n'),
    ]);
    expect(events).toEqual([{ event: 'message', data: 'a\nb' }]);
    const boundaryOnCR = run([encoder.encode('data: a\r\r'), encoder.encode('\ndata: b\n\n')]);
    expect(boundaryOnCR.events).toEqual([
      { event: 'message', data: 'a' },
      { event: 'message', data: 'b' },
    ]);
  });

  it('C24: a multibyte character split between chunks decodes whole', () => {
    const bytes = encoder.encode('data: 𝄞€é\n\n');
    for (let i = 7; i < bytes.byteLength - 2; i++) {
      expect(run(splitAt(bytes, i)).events).toEqual([{ event: 'message', data: '𝄞€é' }]);
    }
  });

  it('C24: only an exact [DONE] ends the stream', () => {
    const notDone = [
      'data: [DONE]x\n\n',
      'data: [DONE] \n\n',
      'data:  [DONE]\n\n',
      'data: a\ndata: [DONE]\n\n',
      'data: [DONE]\ndata: a\n\n',
      'data: [done]\n\n',
      'event: done\ndata: DONE\n\n',
      'data: [DONE]\n', // no blank line yet: not dispatched
    ];
    for (const text of notDone) expect(run([encoder.encode(text)]).parser.done, text).toBe(false);
    for (const text of ['data: [DONE]\n\n', 'data:[DONE]\r\n\r\n', 'event: x\ndata: [DONE]\n\n']) {
      expect(run([encoder.encode(text)]).parser.done, text).toBe(true);
    }
    const after = run([encoder.encode('data: [DONE]\n\ndata: {"late":1}\n\n')]);
    expect(after.events).toEqual([{ event: 'message', data: '[DONE]' }]);
  });

  it('C24: an error event after data is dispatched in order', () => {
    const { events } = run([
      encoder.encode('data: {"a":1}\n\nevent: error\ndata: {"error":{"message":"x"}}\n\n'),
    ]);
    expect(events.map((event) => event.event)).toEqual(['message', 'error']);
  });

  it('C24: one event over 8 MiB fails with bounded memory and input after it is ignored', () => {
    const chunk = new Uint8Array(MiB).fill(0x78);
    const events: SseEvent[] = [];
    const parser = createSseParser({ maxEventBytes: 8 * MiB, onEvent: (event) => events.push(event) });
    expect(parser.push(encoder.encode('data: {"ok":1}\n\ndata: '))).toBe(16);
    let pushed = 0;
    while (!parser.failed && pushed < 20) {
      parser.push(chunk);
      pushed++;
    }
    expect(parser.failed).toBe(true);
    expect(pushed).toBe(8);
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 64; i++) expect(parser.push(chunk)).toBe(-1);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * MiB);
    expect(parser.push(encoder.encode('\n\ndata: late\n\n'))).toBe(-1);
    expect(events).toEqual([{ event: 'message', data: '{"ok":1}' }]);
  });

  it('C24: the limit counts an event across lines and chunks, and resets after each event', () => {
    const line = `data: ${'x'.repeat(90)}\n`; // 97 bytes
    const parser = createSseParser({ maxEventBytes: 300, onEvent: () => undefined });
    parser.push(encoder.encode(`${line}${line}${line}\n`)); // 292 bytes: fits
    expect(parser.failed).toBe(false);
    parser.push(encoder.encode(`${line}${line}`));
    parser.push(encoder.encode(line));
    parser.push(encoder.encode('\n'));
    expect(parser.failed).toBe(false);
    parser.push(encoder.encode(`${line}${line}${line}${line}`));
    expect(parser.failed).toBe(true);
  });
});

describe('createSseParser without onEvent (nothing decoded)', () => {
  /** Every `push` result, then `done` and `failed`, with or without an `onEvent`. */
  const trace = (chunks: readonly Uint8Array[], withEvents: boolean, maxEventBytes = 8 * MiB) => {
    const parser = createSseParser({ maxEventBytes, onEvent: withEvents ? () => undefined : undefined });
    const results = chunks.map((chunk) => parser.push(chunk));
    return { results, done: parser.done, failed: parser.failed };
  };
  const piece = fc.constantFrom(
    'data: [DONE]',
    'data:[DONE]',
    'data:  [DONE]',
    'data: [DONE]x',
    'data: {"a":1}',
    'data',
    'event: error',
    ': comment',
    'id: 3',
    '\n',
    '\r\n',
    '\r',
    '\n\n',
    'é',
    'x'.repeat(40),
  );

  it('C24: the same boundaries, end and failure as a parser that decodes, for any stream and chunking (property)', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 30 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { maxLength: 12 }),
        fc.constantFrom(60, 8 * MiB),
        (pieces, cuts, limit) => {
          const bytes = encoder.encode(pieces.join(''));
          const offsets = cuts.filter((cut) => cut < bytes.byteLength).sort((a, b) => a - b);
          const chunks = splitAt(bytes, ...offsets);
          expect(trace(chunks, false, limit)).toEqual(trace(chunks, true, limit));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('C24: only an exact [DONE] ends the stream, found in the bytes', () => {
    for (const text of [
      'data: [DONE]x\n\n',
      'data:  [DONE]\n\n',
      'data: a\ndata: [DONE]\n\n',
      'data: [DONE]\n',
    ]) {
      expect(trace([encoder.encode(text)], false).done, text).toBe(false);
    }
    for (const text of ['data: [DONE]\n\n', 'data:[DONE]\r\n\r\n', 'event: x\ndata: [DONE]\n\n']) {
      expect(trace([encoder.encode(text)], false).done, text).toBe(true);
    }
  });
});
