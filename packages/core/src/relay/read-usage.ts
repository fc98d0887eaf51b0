import { parseJsonText as parse } from './parse-json-text.ts';
import type { RelayUsage } from './relay-options.ts';

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;

/**
 * Token usage from a parsed API body or stream event: `usage` of a chat completion, embedding or response
 * (Chat Completions name the fields `prompt_tokens`/`completion_tokens`, the Responses API
 * `input_tokens`/`output_tokens`), or `response.usage` of a Responses stream event such as
 * `response.completed`. Only non-negative integers are taken; anything else gives `undefined`.
 *
 * @example
 * readUsage({ usage: { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 } });
 * // { inputTokens: 9, outputTokens: 5, totalTokens: 14 }
 */
export function readUsage(value: unknown): RelayUsage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const body = value as { usage?: unknown; response?: { usage?: unknown } | null };
  const usage = (body.usage ?? body.response?.usage) as Record<string, unknown> | null | undefined;
  if (typeof usage !== 'object' || usage === null) return undefined;
  const result: RelayUsage = {};
  const input = count(usage.input_tokens) ?? count(usage.prompt_tokens);
  const output = count(usage.output_tokens) ?? count(usage.completion_tokens);
  const total = count(usage.total_tokens);
  if (input !== undefined) result.inputTokens = input;
  if (output !== undefined) result.outputTokens = output;
  if (total !== undefined) result.totalTokens = total;
  return input === undefined && output === undefined && total === undefined ? undefined : result;
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/**
 * {@link readUsage} of a JSON body's text, without parsing the whole body: only the top-level `usage` and
 * `response` values are parsed. Strings are skipped with `indexOf`, so the walk touches structure, not content
 * (a completion is mostly content). Gives what `readUsage(JSON.parse(text))` gives for every JSON object; any
 * other text (an array, an escaped key, a string left open) is parsed whole.
 *
 * @example
 * readJsonUsage('{"id":"x","usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14}}');
 * // { inputTokens: 9, outputTokens: 5, totalTokens: 14 }
 */
export function readJsonUsage(text: string): RelayUsage | undefined {
  const found = topLevelValues(text);
  if (found === undefined) return readUsage(parse(text));
  const usage = found.usage === undefined ? undefined : parse(found.usage);
  const response = found.response === undefined ? undefined : parse(found.response);
  return readUsage({ usage, response });
}

/** The text of the last top-level `usage` and `response` values; `undefined` when the text is not that simple. */
function topLevelValues(text: string): { usage?: string; response?: string } | undefined {
  const found: { usage?: string; response?: string } = {};
  let depth = 0;
  let inValue = false;
  let key = '';
  let valueStart = 0;
  let i = 0;
  while (i < text.length && text.charCodeAt(i) <= 32) i++;
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let end = i;
      for (;;) {
        end = text.indexOf('"', end + 1);
        if (end < 0) return undefined;
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++;
        if (slashes % 2 === 0) break;
      }
      if (depth === 1 && !inValue) {
        key = text.slice(i + 1, end);
        // An escape in a key could spell "usage" another way: leave that to JSON.parse.
        if (key.includes('\\')) return undefined;
      }
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
    } else if (depth === 1 && c === COLON) {
      inValue = true;
      valueStart = i + 1;
    } else if (depth === 1 && (c === COMMA || c === CLOSE_BRACE)) {
      if (inValue && (key === 'usage' || key === 'response')) found[key] = text.slice(valueStart, i);
      inValue = false;
      // The object is over: anything but whitespace after it makes the text invalid JSON, as JSON.parse says.
      if (c === CLOSE_BRACE) return text.slice(i + 1).trim() === '' ? found : undefined;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return undefined;
}
