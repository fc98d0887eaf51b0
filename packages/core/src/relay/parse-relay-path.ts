/** The API path below the mount, split into segments; or why it is refused. */
export type RelayPath = { ok: true; segments: string[] } | { ok: false; reason: 'outside_mount' | 'invalid' };

/*
 * What a segment may hold: RFC 3986 unreserved characters plus `:` (fine-tuned model IDs such as
 * `ft:gpt-4o-mini:org:name:id`, which the official SDK leaves unencoded). No `%` at all, so no encoded
 * slash, backslash or dot and no double encoding; no `@`, `;`, `\`, whitespace.
 */
const segmentPattern = /^[A-Za-z0-9._~:-]+$/;
const dotsOnly = /^\.+$/;

/**
 * Takes a request's pathname (already parsed by `URL`, so `..` that `URL` can see is resolved before the
 * relay looks) and returns the segments below `mountPath`, refusing anything that could mean another path to
 * a server that decodes differently: empty segments (`//host`), dot segments, percent escapes, `@`, `;`.
 * The relay joins these segments to a fixed base URL; it never resolves a browser path against one.
 *
 * @example
 * parseRelayPath('/api/openai/chat/completions', '/api/openai'); // { ok: true, segments: ['chat', 'completions'] }
 * parseRelayPath('/api/openai/%2e%2e/x', '/api/openai'); // { ok: false, reason: 'invalid' }
 */
export function parseRelayPath(pathname: string, mountPath: string): RelayPath {
  if (!pathname.startsWith(mountPath)) return { ok: false, reason: 'outside_mount' };
  const rest = pathname.slice(mountPath.length);
  if (rest === '') return { ok: true, segments: [] };
  // `/api/openaiX` shares the prefix but is not below the mount.
  if (rest[0] !== '/') return { ok: false, reason: 'outside_mount' };
  if (rest.length > 2048) return { ok: false, reason: 'invalid' };
  const segments = rest.slice(1).split('/');
  for (const segment of segments) {
    if (!segmentPattern.test(segment) || dotsOnly.test(segment)) return { ok: false, reason: 'invalid' };
  }
  return { ok: true, segments };
}
