import { exposure } from './exposure.ts';
import { isKeyShaped } from './is-key-shaped.ts';

/**
 * Refuses options that would put an OpenAI key in the browser: an `apiKey` (the types have none, but plain
 * JavaScript callers can still pass one) or any key-shaped value, nested objects included.
 *
 * @example
 * assertNoSecrets(options, 'createRelayFetch');
 */
export function assertNoSecrets(options: object, caller: string): void {
  // JSON covers strings, URLs and nested objects (a Realtime session) alike; functions render as `undefined`.
  for (const [name, value] of Object.entries(options)) {
    if (name === 'apiKey' || isKeyShaped(`${JSON.stringify(value)}`))
      throw exposure(`${caller}: option ${name}`);
  }
}
