// The relay's full policy, one definition for Node, Deno and Bun (each passes its adapter's createResolver):
// a session check (the session cookie looked up in a map of 10,001 sessions), a route allowlist, a model
// allowlist, per-principal rate limits on the default in-memory store (high enough never to refuse during a
// run), server credentials from a resolver holding the run's fake key, and `onEvent` metering (a per-principal
// request and token count) unless the run turned it off.
import { ALPHANUMERIC, MODEL, MOUNT, randomString } from './fixtures.mjs';

const SESSION_COOKIE = /(?:^|;\s*)session=([^;]+)/;

/**
 * @param createResolver the adapter's createResolver
 * @param config `{ key, upstream, session, metering }` from the bench (BENCH_CONFIG in the child's environment)
 */
export function relayPolicy(createResolver, config) {
  const sessions = new Map();
  for (let i = 0; i < 10_000; i++) sessions.set(randomString(ALPHANUMERIC, 32), { id: `user-${i}` });
  sessions.set(config.session, { id: 'bench-user' });
  const meter = new Map();
  return {
    resolver: benchResolver(createResolver, config),
    authorize: (request) => {
      const session = SESSION_COOKIE.exec(request.headers.get('cookie') ?? '')?.[1];
      return (session !== undefined && sessions.get(session)) || null;
    },
    mountPath: MOUNT,
    routes: ['POST /chat/completions', 'POST /responses', 'POST /embeddings', 'GET /models'],
    models: [MODEL, 'gpt-4o', 'gpt-4.1-mini', 'text-embedding-3-small'],
    rateLimit: { requestsPerMinute: 1e9, maxConcurrentStreams: 10_000 },
    onEvent: config.metering
      ? (event) => {
          const id = event.principalId ?? '(anonymous)';
          let entry = meter.get(id);
          if (entry === undefined) {
            entry = { requests: 0, tokens: 0, failed: 0 };
            meter.set(id, entry);
          }
          entry.requests++;
          entry.tokens += event.usage?.totalTokens ?? 0;
          if (event.status >= 400) entry.failed++;
        }
      : undefined,
  };
}

/**
 * The floor of our relay's own cost: the same relay with as little policy as it allows. Any signed-in caller
 * (`authorize` returns one principal, no lookup), one route, no model allowlist, no rate limits, no metering;
 * the key from the same resolver. Not a way to deploy it: a reference that splits the relay's cost into
 * transport and policy.
 */
export function minimalPolicy(createResolver, config) {
  const principal = { id: 'bench-user' };
  return {
    resolver: benchResolver(createResolver, config),
    authorize: () => principal,
    mountPath: MOUNT,
    routes: ['POST /chat/completions'],
    rateLimit: false,
  };
}

/** The run's fake key and the stub's base URL, nothing from the environment. */
function benchResolver(createResolver, config) {
  return createResolver({
    apiKey: config.key,
    baseURL: `${config.upstream}/v1`,
    organization: null,
    project: null,
  });
}
