import { describe, expect, it } from 'vitest';
import { type BodyOutcome, createBodyGuard } from './create-body-guard.ts';

/** A guard with metering; the body goes through `push` in `size`-byte chunks. */
function meter(
  sse: boolean,
  text: string,
  size = 64 * 1024,
): { outcome: BodyOutcome | undefined; passed: number } {
  let outcome: BodyOutcome | undefined;
  const guard = createBodyGuard({
    sse,
    meter: true,
    idleTimeoutMs: 1000,
    maxEventBytes: 1024,
    abort: () => undefined,
    clientGone: () => false,
    finish: (result) => {
      outcome = result;
    },
  });
  const bytes = new TextEncoder().encode(text);
  let passed = 0;
  for (let at = 0; at < bytes.byteLength; at += size) {
    passed += guard.push(bytes.subarray(at, at + size))?.byteLength ?? 0;
  }
  guard.end();
  return { outcome, passed };
}

const meterJson = (text: string, size?: number) => meter(false, text, size);

const usage = { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 };
const metered = { inputTokens: 9, outputTokens: 5, totalTokens: 14 };

describe('createBodyGuard: JSON usage metering', () => {
  it('a body up to 1 MiB: the top-level usage, never one nested in the content', () => {
    const body = JSON.stringify({
      choices: [{ message: { content: 'x'.repeat(200_000) }, usage: { total_tokens: 1 } }],
      usage,
    });
    const { outcome, passed } = meterJson(body, 1000);
    expect(outcome?.usage).toEqual(metered);
    expect(passed).toBe(body.length);
    expect(meterJson(JSON.stringify({ data: [{ usage }] })).outcome?.usage).toBeUndefined();
  });

  it('past 1 MiB only the tail is kept: a top-level usage there is read, with keys after it', () => {
    const body = JSON.stringify({ content: 'y'.repeat(3 * 1024 * 1024), usage, system_fingerprint: 'fp_1' });
    const { outcome, passed } = meterJson(body);
    expect(outcome?.usage).toEqual(metered);
    expect(passed).toBe(body.length);
  });

  it('past 1 MiB a usage that is not top-level is not taken, nor one inside a string', () => {
    const nested = JSON.stringify({ content: 'y'.repeat(2 * 1024 * 1024), data: [{ usage }] });
    expect(meterJson(nested).outcome?.usage).toBeUndefined();
    const quoted = JSON.stringify({ content: `${'z'.repeat(2 * 1024 * 1024)}"usage":{"total_tokens":7}` });
    expect(meterJson(quoted).outcome?.usage).toBeUndefined();
  });
});

describe('createBodyGuard: SSE metering', () => {
  /** A metered SSE guard fed `text` in one chunk. */
  const meterSse = (text: string) => meter(true, text).outcome;
  const chunk = (delta: string) =>
    `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ delta: { content: delta } }] })}\n\n`;

  it('reads the usage event among content events, and an error event however it is written', () => {
    const usageEvent = `data: ${JSON.stringify({ choices: [], usage })}\n\n`;
    expect(meterSse(chunk('a') + usageEvent + chunk('b'))).toEqual({ usage: metered });
    // Named `error`, with neither "usage" nor "error" in its data.
    expect(meterSse(`${chunk('a')}event: error\ndata: {"message":"overloaded"}\n\n`)).toEqual({
      streamError: 'error',
    });
    expect(meterSse(`${chunk('a')}data: {"error":{"code":"server_error"}}\n\n`)).toEqual({
      streamError: 'server_error',
    });
    // Content that only talks about usage or errors is not an event that carries them.
    expect(meterSse(chunk('usage: "error" and usage') + chunk('no "usage" here'))).toEqual({});
  });
});
