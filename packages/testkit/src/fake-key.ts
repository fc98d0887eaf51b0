import { ALPHANUMERIC, HEX, randomString, URL_SAFE } from './random-string.ts';

/** The kinds of OpenAI credentials `fakeKey` can imitate, told apart by prefix. */
export type FakeKeyKind = 'project' | 'project_legacy' | 'service_account' | 'admin' | 'user' | 'ephemeral';

interface SecretKeyShape {
  readonly prefix: string;
  readonly alphabet: string;
  /** Characters on each side of the marker. */
  readonly half: number;
}

const SECRET_KEY_SHAPES: Readonly<Record<Exclude<FakeKeyKind, 'ephemeral'>, SecretKeyShape>> = {
  user: { prefix: 'sk-', alphabet: ALPHANUMERIC, half: 20 },
  project: { prefix: 'sk-proj-', alphabet: URL_SAFE, half: 74 },
  project_legacy: { prefix: 'sk-proj-', alphabet: URL_SAFE, half: 20 },
  service_account: { prefix: 'sk-svcacct-', alphabet: URL_SAFE, half: 74 },
  admin: { prefix: 'sk-admin-', alphabet: URL_SAFE, half: 58 },
};

// Base64 of "OpenAI", inside every real secret key. Built at run time so that no file in the repository
// holds a key-shaped literal for secret scanners to flag.
const MARKER = btoa('OpenAI');

/**
 * A new random fake credential of the given kind, shaped exactly like a real one (same prefix, alphabet,
 * marker and length), so that classifiers and secret scanners treat it as real.
 *
 * @example
 * ```ts
 * const key = fakeKey('project'); // 'sk-proj-' + 74 + marker + 74 characters, different on every call
 * ```
 */
export function fakeKey(kind: FakeKeyKind): string {
  if (kind === 'ephemeral') return `ek_${randomString(HEX, 32)}`;
  const { prefix, alphabet, half } = SECRET_KEY_SHAPES[kind];
  // The scanners' patterns end in `\b`, which never follows a trailing `-`: end on an alphanumeric so
  // every fake key is detected, as real ones are.
  const tail = randomString(alphabet, half - 1) + randomString(ALPHANUMERIC, 1);
  return `${prefix}${randomString(alphabet, half)}${MARKER}${tail}`;
}

/**
 * A new random organization ID (`org-` + 24 alphanumerics).
 *
 * @example
 * ```ts
 * const headers = { 'OpenAI-Organization': fakeOrgId() };
 * ```
 */
export function fakeOrgId(): string {
  return `org-${randomString(ALPHANUMERIC, 24)}`;
}

/**
 * A new random project ID (`proj_` + 24 alphanumerics).
 *
 * @example
 * ```ts
 * const headers = { 'OpenAI-Project': fakeProjectId() };
 * ```
 */
export function fakeProjectId(): string {
  return `proj_${randomString(ALPHANUMERIC, 24)}`;
}
