import { assertNoSecrets } from './assert-no-secrets.ts';
import { createRelayFetch, type RelayFetch, type RelayFetchOptions } from './create-relay-fetch.ts';
import { resolveRelayURL } from './resolve-relay-url.ts';

// The SDK refuses to start without some `apiKey`; it never travels (see `defaultHeaders`) and is no secret.
const placeholderApiKey = 'no-key-in-browser';

/**
 * Options of {@link openaiBrowserOptions}. Waiting out 429s and mapping statuses to errors are left to the
 * SDK, which does both itself: two layers of retries would multiply the requests.
 */
export interface OpenAIBrowserOptionsInput
  extends Omit<RelayFetchOptions, 'maxRetryAfterMs' | 'httpErrors'> {}

/** What {@link openaiBrowserOptions} returns: pass it to `new OpenAI(...)` of the official SDK. */
export interface OpenAIBrowserOptions {
  /** The relay's mount as an absolute URL (the SDK needs one): every SDK request goes there. */
  baseURL: string;
  /** A placeholder that is no secret: the SDK refuses to start without some `apiKey`. */
  apiKey: string;
  /** `null` so that the SDK never reads `OPENAI_ADMIN_KEY` from a bundler-provided `process.env`. */
  adminAPIKey: null;
  /** `null`: the relay sets the organization on the server; the browser cannot switch it. */
  organization: null;
  /** `null`: the relay sets the project on the server; the browser cannot switch it. */
  project: null;
  /** Removes the SDK's `Authorization` header: the relay authenticates the app session, not a key. */
  defaultHeaders: { Authorization: null };
  /** The relay fetch, in `httpErrors: 'return'` mode, so the SDK throws its own typed errors. */
  fetch: RelayFetch;
  /** Safe here: there is no key in the browser to expose. */
  dangerouslyAllowBrowser: true;
}

/**
 * Options for the official `openai` SDK (tested with 7.59 and 6.49) in a browser, with no key: every request
 * goes to your relay, which checks the app session and adds the key on the server.
 *
 * @example
 * import OpenAI from 'openai';
 *
 * const client = new OpenAI(openaiBrowserOptions({ relayURL: '/api/openai' }));
 * const models = await client.models.list();
 */
export function openaiBrowserOptions(options: OpenAIBrowserOptionsInput): OpenAIBrowserOptions {
  assertNoSecrets(options, 'openaiBrowserOptions');
  const { origin, mount } = resolveRelayURL(options.relayURL);
  return {
    baseURL: origin + mount,
    apiKey: placeholderApiKey,
    adminAPIKey: null,
    organization: null,
    project: null,
    defaultHeaders: { Authorization: null },
    fetch: createRelayFetch({ ...options, maxRetryAfterMs: 0, httpErrors: 'return' }),
    dangerouslyAllowBrowser: true,
  };
}
