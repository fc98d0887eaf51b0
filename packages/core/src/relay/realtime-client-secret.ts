/** TTL bounds of minted Realtime secrets, in seconds (OpenAI's own: 10 s to 2 h, default 10 min). */
export const realtimeTtlBounds: { readonly min: number; readonly max: number; readonly fallback: number } = {
  min: 10,
  max: 7200,
  fallback: 600,
};

/** The upstream request body for a mint, or why the browser's request is refused. */
export type RealtimeSecretRequest =
  | { ok: true; body: string }
  | { ok: false; code: 'invalid_json' | 'model_not_allowed' };

/** What the browser gets from a mint: the `ek_` secret and its expiry, nothing else. */
export interface RealtimeClientSecret {
  value: string;
  expires_at: number;
}

/**
 * Builds the `POST /realtime/client_secrets` body from what the browser asked: `session` passes (its `model`
 * checked against the allowlist), the TTL is clamped to 10…7200 s (600 s when absent or not a number), and
 * nothing else of the browser's body goes upstream.
 *
 * @example
 * realtimeSecretRequest({ expires_after: { seconds: 99_999 } }, undefined);
 * // { ok: true, body: '{"expires_after":{"anchor":"created_at","seconds":7200}}' }
 */
export function realtimeSecretRequest(
  requested: unknown,
  models: ReadonlySet<string> | undefined,
): RealtimeSecretRequest {
  if (typeof requested !== 'object' || requested === null || Array.isArray(requested)) {
    return { ok: false, code: 'invalid_json' };
  }
  const { expires_after: expiresAfter, session } = requested as {
    expires_after?: unknown;
    session?: unknown;
  };
  const seconds = (expiresAfter as { seconds?: unknown } | null | undefined)?.seconds;
  const ttl =
    typeof seconds === 'number' && Number.isFinite(seconds)
      ? Math.min(realtimeTtlBounds.max, Math.max(realtimeTtlBounds.min, Math.round(seconds)))
      : realtimeTtlBounds.fallback;
  const body: Record<string, unknown> = { expires_after: { anchor: 'created_at', seconds: ttl } };
  if (typeof session === 'object' && session !== null && !Array.isArray(session)) {
    const model = (session as { model?: unknown }).model;
    if (models && model !== undefined && !(typeof model === 'string' && models.has(model))) {
      return { ok: false, code: 'model_not_allowed' };
    }
    body.session = session;
  }
  return { ok: true, body: JSON.stringify(body) };
}

/**
 * Picks the `ek_` value and `expires_at` out of OpenAI's answer; the session configuration it also returns
 * stays on the server. `undefined` when the answer lacks either.
 *
 * @example
 * pickRealtimeSecret(await response.json()); // { value: 'ek_…', expires_at: 1767225600 }
 */
export function pickRealtimeSecret(answer: unknown): RealtimeClientSecret | undefined {
  const { value, expires_at: expiresAt } = (answer ?? {}) as { value?: unknown; expires_at?: unknown };
  if (typeof value !== 'string' || !/^ek_[\x21-\x7e]{1,1024}$/.test(value)) return undefined;
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return undefined;
  return { value, expires_at: expiresAt };
}
