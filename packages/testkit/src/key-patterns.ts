/**
 * The patterns secret scanners use to find OpenAI keys: gitleaks `openai-api-key`, then trufflehog `openai`
 * and `openaiadmin`. All are global; `findKeyShapes` is the safe way to use them, since `test` and `exec`
 * on a global pattern keep state in `lastIndex`.
 *
 * @example
 * ```ts
 * const flagged = KEY_PATTERNS.some((pattern) => new RegExp(pattern).test(text));
 * ```
 */
export const KEY_PATTERNS: readonly RegExp[] = Object.freeze([
  /sk-(?:proj|svcacct|admin)-(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})T3BlbkFJ(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})\b|sk-[a-zA-Z0-9]{20}T3BlbkFJ[a-zA-Z0-9]{20}/g,
  /\b(sk-(?:(?:proj|svcacct|service)-[A-Za-z0-9_-]+|[a-zA-Z0-9]+)T3BlbkFJ[A-Za-z0-9_-]+)\b/g,
  /\b(sk-admin-[A-Za-z0-9_-]{58}T3BlbkFJ[A-Za-z0-9_-]{58})\b/g,
]);

/**
 * Every match of every pattern in `KEY_PATTERNS` within `text`, in pattern order (a key matched by two
 * patterns appears twice).
 *
 * @example
 * ```ts
 * expect(findKeyShapes(logOutput)).toEqual([]);
 * ```
 */
export function findKeyShapes(text: string): string[] {
  const matches: string[] = [];
  // matchAll works on a copy of the pattern, so the shared patterns' `lastIndex` never changes.
  for (const pattern of KEY_PATTERNS) for (const match of text.matchAll(pattern)) matches.push(match[0]);
  return matches;
}
