/** The kinds of OpenAI secret, told apart by prefix. */
export type KeyKind = 'project' | 'service_account' | 'admin' | 'user' | 'ephemeral' | 'unknown';

// Longest prefixes first: every secret key starts with `sk-`.
const prefixes: ReadonlyArray<readonly [string, KeyKind]> = [
  ['sk-proj-', 'project'],
  ['sk-svcacct-', 'service_account'],
  ['sk-admin-', 'admin'],
  ['sk-', 'user'],
  ['ek_', 'ephemeral'],
];

/**
 * Tells which kind of OpenAI secret a key is, by its prefix only: formats change, so the shape after the prefix
 * is never a reason to reject a key.
 *
 * @example
 * classifyKey(key); // 'project'
 */
export function classifyKey(key: string): KeyKind {
  if (typeof key !== 'string') return 'unknown';
  for (const [prefix, kind] of prefixes)
    if (key.startsWith(prefix) && key.length > prefix.length) return kind;
  return 'unknown';
}

/** The known prefix a key starts with, or '' (shared by masking and redaction). */
export function keyPrefix(key: string): string {
  for (const [prefix] of prefixes) if (key.startsWith(prefix)) return prefix;
  return '';
}
