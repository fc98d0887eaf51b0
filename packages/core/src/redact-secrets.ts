import { maskKey } from './mask-key.ts';

/*
 * Anything that looks like an OpenAI secret: the known prefixes followed by a token long enough to be a key.
 * Broader than the scanners' patterns on purpose (future formats, keys cut short in logs), and it also covers
 * the `T3BlbkFJ` marker ("OpenAI" in base64) that sits inside every secret key.
 */
const keyShape = /(?:sk-[A-Za-z0-9_-]{16,}|ek_[A-Za-z0-9_-]{16,}|[A-Za-z0-9_-]*T3BlbkFJ[A-Za-z0-9_-]*)/g;

/**
 * Replaces every key-shaped substring of a text with its mask, and every exact occurrence of the given secrets
 * (for keys of unknown shape). Use it on anything headed for a log.
 *
 * @example
 * console.error(redactSecrets(String(error)));
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = typeof text === 'string' ? text : String(text);
  for (const secret of secrets) {
    if (typeof secret === 'string' && secret.length >= 8) out = out.split(secret).join(maskKey(secret));
  }
  return out.replace(keyShape, (match) => maskKey(match));
}
