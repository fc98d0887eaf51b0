import { AuthError } from './auth-error.ts';

/** OpenAI's API root; the default `baseURL`. */
export const defaultBaseURL = 'https://api.openai.com/v1';

/**
 * Checks a base URL before any credential is sent to it: `https`, or `http` on a loopback host (tests, local
 * gateways); no user info, query or fragment. Returns it without a trailing slash.
 */
export function validateBaseURL(value: string, origin = 'baseURL'): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {}
  const problem = url ? describeProblem(url, value) : 'is not an absolute URL';
  if (!url || problem) {
    throw new AuthError('invalid_base_url', `The base URL from ${origin} ${problem}.`, {
      details: { origin },
    });
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** What makes `url` unsafe to send credentials to, and what to do; shows no user info, query or fragment. */
function describeProblem(url: URL, value: string): string | undefined {
  const { protocol } = url;
  if (protocol !== 'https:' && protocol !== 'http:') return `uses ${protocol}; use https`;
  const shown = `(${protocol}//${url.host}${url.pathname})`;
  if (url.username || url.password) return `${shown} holds a user name or password: remove them`;
  if (url.search || url.hash || /[?#]/.test(value))
    return `${shown} has a query or fragment; give the API root only`;
  if (protocol === 'http:' && !isLoopback(url.hostname)) {
    return `${shown} is http to a non-loopback host: use https`;
  }
  return undefined;
}

/** Loopback hosts: 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    host === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}
