import { type CredentialResolver, redactSecrets } from '@auth/core';
import { describeUpstreamError } from '@auth/core/adapter';

/** The answer of {@link checkApi}: one live call with the resolved credentials, explained. */
export interface ApiCheck {
  /** The API accepted the credentials. */
  ok: boolean;
  /** What was called: `GET <baseURL>/models`. */
  url: string;
  /** The HTTP status; absent when no answer came. */
  status?: number;
  /** OpenAI's `error.code` (e.g. `mismatched_project`). */
  upstreamCode?: string;
  /** OpenAI's `x-request-id`, to quote to OpenAI support. */
  requestId?: string;
  /** What the answer means and what to do. Never OpenAI's own text, never a key. */
  message: string;
}

// An error or model list is small; anything bigger is not what the check needs to read.
const maxBodyBytes = 1024 * 1024;

/**
 * Calls `GET <baseURL>/models` once through `authFetch` (nothing retried but what the auth fetch does for a
 * rotated key) and explains the answer: accepted, or which of the key, organization, project or scopes the
 * API refused (C21), a quota or rate limit, an API outage, or no answer at all.
 */
export async function checkApi(
  resolver: CredentialResolver,
  authFetch: (input: string, init?: RequestInit) => Promise<Response>,
  timeoutMs = 10_000,
): Promise<ApiCheck> {
  const { baseURL } = await resolver.resolve();
  const url = `${baseURL}/models`;
  let response: Response;
  try {
    response = await authFetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { ok: false, url, message: `No answer from ${new URL(url).origin}: ${redactSecrets(why)}` };
  }
  const check: ApiCheck = { ok: false, url, status: response.status, message: '' };
  const requestId = response.headers.get('x-request-id');
  if (requestId !== null && /^[A-Za-z0-9_.:-]{1,128}$/.test(requestId)) check.requestId = requestId;
  const text = await readText(response);
  const info = describeUpstreamError(response.status, text);
  if (info.upstreamCode !== undefined) check.upstreamCode = info.upstreamCode;

  if (response.ok) {
    const count = modelCount(text);
    check.ok = true;
    check.message = `The API accepted these credentials${count === undefined ? '' : ` (${count} models visible)`}.`;
  } else if (response.status === 401 || response.status === 403) {
    check.message = info.hint ?? `The API refused these credentials (${response.status}).`;
  } else if (response.status === 429) {
    // A rate limit means the key itself was accepted; no quota left is a billing problem, not a credential one.
    check.ok = info.upstreamCode !== 'insufficient_quota';
    check.message = check.ok
      ? 'The credentials were accepted, but the API is rate limiting them right now; try again shortly.'
      : 'The credentials were accepted, but their organization or project has no quota left: check billing and usage limits.';
  } else if (response.status >= 500) {
    check.message = `The API failed (${response.status}), so the credentials could not be checked: try again later.`;
  } else {
    check.message = `Unexpected answer ${response.status} from ${url}: is OPENAI_BASE_URL an OpenAI-compatible API?`;
  }
  return check;
}

/** The body as text, read up to {@link maxBodyBytes} (past that, `undefined` and the rest is not read). */
async function readText(response: Response): Promise<string | undefined> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBodyBytes) {
        await reader.cancel();
        return undefined;
      }
      chunks.push(value);
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

function modelCount(text: string | undefined): number | undefined {
  try {
    const data = (JSON.parse(text ?? '') as { data?: unknown }).data;
    return Array.isArray(data) ? data.length : undefined;
  } catch {
    return undefined;
  }
}
