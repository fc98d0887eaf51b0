/**
 * `JSON.parse(text)`, or `undefined` when the text is not JSON (no JSON text parses to `undefined`).
 *
 * @example
 * parseJsonText('{"a":1}'); // { a: 1 }
 * parseJsonText('{"a":'); // undefined
 */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
