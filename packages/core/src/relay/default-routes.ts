import type { RelayRoute } from './relay-options.ts';

/**
 * The relay's default allowlist (DESIGN §4): generation, embeddings, moderation, model listing and Realtime
 * secret minting. Everything else is opt-in.
 *
 * @example
 * createRelay({ resolver, authorize, routes: [...defaultRoutes, 'POST /images/generations'] });
 */
export const defaultRoutes: readonly RelayRoute[] = Object.freeze([
  'POST /responses',
  'POST /chat/completions',
  'POST /embeddings',
  'POST /moderations',
  'GET /models',
  'GET /models/{model}',
  'POST /realtime/client_secrets',
] as const);
