import { AuthError } from './auth-error.ts';

/** OpenAI's API root; the default `baseURL`. */
export const defaultBaseURL = 'https://api.openai.com/v1';

/**
 * Checks a base URL before any credential is sent to it: `https`, or `http` on a loopback host (tests, local
 * gateways); no user info, query or fragment. Returns it without a trailing slash.
 */
export function validateBaseURL(value: string, origin = 'baseURL'): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`The base URL from ${origin} is not an absolute URL.`, origin);
  }
  const shown = `${url.protocol}//${url.host}${url.pathname}`;
  if (url.username !== '' || url.password !== '') {
    throw invalid(
      `The base URL from ${origin} (${shown}) holds a user name or password; credentials go in headers.`,
      origin,
    );
  }
  if (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) {
    throw invalid(
      `The base URL from ${origin} (${shown}) has a query or fragment; give the API root only.`,
      origin,
    );
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw invalid(
      `The base URL from ${origin} (${shown}) is plain http to a non-loopback host; use https (http is allowed for 127.0.0.1, ::1 and localhost only).`,
      origin,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid(`The base URL from ${origin} uses ${url.protocol}; use https.`, origin);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
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

function invalid(message: string, origin: string): AuthError {
  return new AuthError('invalid_base_url', message, { details: { origin } });
}
