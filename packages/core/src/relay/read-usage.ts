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
