import { createRelay as createCoreRelay, type Relay, type RelayOptions } from '@auth/core/relay';
import { createNodeFetch } from './create-node-fetch.ts';

/**
 * Core's relay with Node's upstream client by default: undici on the process-wide keep-alive pool, through
 * `HTTPS_PROXY`/`HTTP_PROXY` when set (Node 20's global `fetch` ignores them). `fetch` in the options wins.
 *
 * @example
 * const relay = createRelay({ resolver: createResolver(), authorize, mountPath: '/api/openai' });
 * await relay.ready();
 */
export function createRelay(options: RelayOptions): Relay {
  return createCoreRelay({ ...options, fetch: options.fetch ?? createNodeFetch() });
}
