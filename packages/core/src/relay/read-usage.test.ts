import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readJsonUsage, readUsage } from './read-usage.ts';

const parsed = (text: string) => {
  try {
    return readUsage(JSON.parse(text));
  } catch {
    return undefined;
  }
};

// Values that put "usage" and "response" where a naive search would find them: nested keys, string values that
// spell a key, quotes and backslashes in strings, duplicate keys.
const tricky = fc.constantFrom(
  'usage',
  'response',
  '"usage":{"total_tokens":1}',
  '\\"usage\\":',
  '\\',
  '}',
  '{',
  '],[',
  'x',
);
const tokens = fc.record(
  {
    prompt_tokens: fc.oneof(fc.nat(), fc.constant(-1), fc.double(), fc.string()),
    completion_tokens: fc.nat(),
    total_tokens: fc.nat(),
    input_tokens: fc.nat(),
  },
  { requiredKeys: [] },
);
const value: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.oneof(fc.string(), tricky, fc.integer(), fc.boolean(), fc.constant(null)),
    tokens,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.string(), tricky), tie('value'), { maxKeys: 3 }),
    fc.record({ usage: tie('value'), response: fc.record({ usage: tokens }) }, { requiredKeys: [] }),
  ),
})).value;
/** A top-level object as an API body: usage and response anywhere among other keys, maybe spaced out. */
const body = fc
  .tuple(
    fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom('usage', 'response', 'id'), fc.string(), tricky),
        fc.oneof(value, tokens),
      ),
      { maxLength: 6 },
    ),
    fc.constantFrom(0, 2),
  )
  .map(([entries, space]) => {
    const text = `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${JSON.stringify(item, null, space)}`).join(',')}}`;
    return space === 0 ? text : text.replace(/:/, ' : ');
  });

describe('readJsonUsage', () => {
  it('reads the top-level usage of a completion without the rest', () => {
    const text = JSON.stringify({
      id: 'chatcmpl-1',
      choices: [
        {
          message: { content: 'the "usage": {"total_tokens": 999} of a string' },
          usage: { total_tokens: 5 },
        },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 },
    });
    expect(readJsonUsage(text)).toEqual({ inputTokens: 9, outputTokens: 5, totalTokens: 14 });
  });

  it('falls back to a response’s usage, and gives nothing for a nested usage only', () => {
    expect(readJsonUsage('{"response":{"usage":{"input_tokens":2,"output_tokens":3}}}')).toEqual({
      inputTokens: 2,
      outputTokens: 3,
    });
    expect(readJsonUsage('{"data":[{"usage":{"total_tokens":4}}]}')).toBeUndefined();
  });

  it('gives what readUsage(JSON.parse(text)) gives, for any JSON object (property)', () => {
    fc.assert(
      fc.property(body, (text) => {
        expect(readJsonUsage(text)).toEqual(parsed(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('gives what the whole parse gives for text that is not one JSON object: an escaped key, an array, a cut body, trailing text', () => {
    for (const text of [
      '{"us\\u0061ge":{"total_tokens":3}}',
      '[{"usage":{"total_tokens":3}}]',
      '{"usage":{"total_tokens":3}',
      '{"usage":{"total_tokens":3},"id":"x',
      '{"usage":{"total_tokens":3}} {"usage":{"total_tokens":4}}',
      '{"usage":{"total_tokens":3}}  \n',
      '  {"usage":{"total_tokens":3}}',
      '',
    ]) {
      expect(readJsonUsage(text), text).toEqual(parsed(text));
    }
    expect(readJsonUsage('{"us\\u0061ge":{"total_tokens":3}}')).toEqual({ totalTokens: 3 });
  });
});
