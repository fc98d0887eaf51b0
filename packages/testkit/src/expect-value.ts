import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';

/** The few matchers the conformance suite needs, identical in every runtime (built on `node:assert`). */
export interface Matchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toContain(part: string): void;
  toMatch(pattern: RegExp): void;
  toBeUndefined(): void;
  toBeGreaterThan(bound: number): void;
  toBeLessThan(bound: number): void;
  readonly not: Pick<Matchers, 'toBe' | 'toContain' | 'toMatch' | 'toBeUndefined'>;
}

/**
 * Every check goes through `assert.ok` with our own message, so a failure never carries the compared values
 * (runners print `actual`/`expected` diffs, and those could be keys).
 *
 * `expect(value)` for code that must run unchanged under vitest, `deno test` and `bun test`: each runner has
 * its own `expect`, and Deno's needs JSR, which is out of reach here. `node:assert` is in all three.
 */
export function expectValue(actual: unknown, label = ''): Matchers {
  const say = (text: string) => (label ? `${label}: ${text}` : text);
  // A failing assertion must not print a key into the test log: long strings are shown by length only.
  const show = (value: unknown) =>
    typeof value === 'string' && value.length > 12 ? `<${value.length} characters>` : String(value);
  return {
    toBe: (expected) =>
      assert.ok(Object.is(actual, expected), say(`expected ${show(actual)} to be ${show(expected)}`)),
    toEqual: (expected) => assert.ok(isDeepStrictEqual(actual, expected), say('values differ')),
    toContain: (part) =>
      assert.ok(String(actual).includes(part), say(`expected the text to contain ${show(part)}`)),
    toMatch: (pattern) =>
      assert.ok(
        new RegExp(pattern.source, pattern.flags.replace('g', '')).test(String(actual)),
        say(`expected the text to match ${pattern}`),
      ),
    toBeUndefined: () => assert.ok(actual === undefined, say('expected undefined')),
    toBeGreaterThan: (bound) => assert.ok(Number(actual) > bound, say(`expected ${show(actual)} > ${bound}`)),
    toBeLessThan: (bound) => assert.ok(Number(actual) < bound, say(`expected ${show(actual)} < ${bound}`)),
    not: {
      toBe: (expected) => assert.ok(!Object.is(actual, expected), say(`expected not ${show(expected)}`)),
      toContain: (part) =>
        assert.ok(!String(actual).includes(part), say(`expected the text not to contain ${show(part)}`)),
      toMatch: (pattern) =>
        assert.ok(
          !new RegExp(pattern.source, pattern.flags.replace('g', '')).test(String(actual)),
          say(`expected the text not to match ${pattern}`),
        ),
      toBeUndefined: () => assert.ok(actual !== undefined, say('expected a value')),
    },
  };
}
