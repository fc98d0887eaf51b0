import { redactSecrets } from '../redact-secrets.ts';
import type { RelayErrorBody } from './relay-error.ts';

/** What the relay learned from an upstream error body. */
export interface UpstreamErrorInfo {
  /** OpenAI's `error.code`, when it is a plain identifier. */
  upstreamCode?: string;
  /** For the server log: what to fix. Never OpenAI's own text, which echoes masked keys and short values. */
  hint?: string;
  /** A copy safe to pass to the browser for request errors (4xx other than 401/403/429), or absent. */
  body?: RelayErrorBody;
}

const hints: Readonly<Record<string, string>> = {
  invalid_api_key:
    'OpenAI rejected the server key: rotate it, or check which key the resolver loads (report()).',
  mismatched_organization:
    'The OpenAI-Organization sent is not the key’s organization: fix OPENAI_ORG_ID or leave it unset.',
  mismatched_project:
    'The OpenAI-Project sent is not the key’s project: fix OPENAI_PROJECT_ID or leave it unset.',
  no_organization: 'The key’s account belongs to no organization: use a key of an organization member.',
};

/**
 * Reads an upstream error body that may be anything (JSON in OpenAI's shape, an HTML page from a proxy, empty,
 * invalid UTF-8) without ever throwing. For 401/403 it gives a per-cause hint for the server log (C21:
 * invalid key, wrong organization, wrong project, no organization, missing scopes); for other request errors a
 * redacted, length-capped copy of OpenAI's error that the browser may see.
 *
 * @example
 * describeUpstreamError(401, text); // { upstreamCode: 'mismatched_project', hint: 'The OpenAI-Project sent …' }
 */
export function describeUpstreamError(status: number, text: string | undefined): UpstreamErrorInfo {
  let error: { message?: unknown; type?: unknown; code?: unknown } | undefined;
  try {
    const parsed = JSON.parse(text ?? '') as { error?: unknown };
    if (typeof parsed?.error === 'object' && parsed.error !== null) error = parsed.error;
  } catch {}
  const info: UpstreamErrorInfo = {};
  const code =
    typeof error?.code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(error.code) ? error.code : undefined;
  if (code !== undefined) info.upstreamCode = code;
  const message = typeof error?.message === 'string' ? error.message : undefined;
  if (status === 401 || status === 403) {
    const scopes =
      message === undefined ? undefined : /Missing scopes: ?([A-Za-z0-9_.:, ]{1,200})/.exec(message)?.[1];
    info.hint =
      (code !== undefined ? hints[code] : undefined) ??
      (scopes !== undefined
        ? `The restricted key lacks the scopes ${scopes.replace(/[.\s]+$/, '')}: grant them to the key.`
        : `OpenAI refused the server key (${status}${code ? ` ${code}` : ''}): check its project, permissions and model access.`);
    return info;
  }
  if (message !== undefined && typeof error?.type === 'string') {
    info.body = {
      error: {
        message: redactSecrets(message).slice(0, 1000),
        type: error.type.slice(0, 64),
        code: code ?? null,
      },
    };
  }
  return info;
}
