// Base64 of "OpenAI" sits inside every OpenAI secret key; `sk-` opening a token of key length starts every secret
// kind (project, service account, admin, legacy user) and future formats without the marker. The marker is built
// at run time so that neither the source nor a bundle holds it for secret scanners to flag; case-insensitive
// because header names arrive lower-cased. A shorter `sk-…` is no key, and `ek_` Realtime secrets are
// browser-safe by design, so neither is refused.
const keyShape = new RegExp(`${btoa('OpenAI')}|(?:^|[^\\w-])sk-[\\w-]{16}`, 'i');

/**
 * True when a text holds something shaped like an OpenAI secret key.
 *
 * @example
 * if (isKeyShaped(value)) throw new RelayError('browser_exposure', 'OpenAI keys stay on the server');
 */
export function isKeyShaped(text: string): boolean {
  return keyShape.test(text);
}
