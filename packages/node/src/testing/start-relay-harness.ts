import { fakeKey, startUpstream, type Upstream } from '@auth/testkit';
import {
  createResolver,
  type RelayEvent,
  type RelayServer,
  type ServeRelayOptions,
  serveRelay,
} from '../index.ts';

/** A stub upstream and a serveRelay in front of it, signed in by a `session=<id>` cookie. */
export interface RelayHarness {
  upstream: Upstream;
  relay: RelayServer;
  key: string;
  events: RelayEvent[];
  /** Every request `authorize` saw, as `METHOD path`. */
  authorized: string[];
}

/**
 * Starts the harness; `cleanups` gets the closers (the test's afterEach runs them).
 *
 * @example
 * const h = await startRelayHarness(cleanups, '/api/openai', { limits: { idleTimeoutMs: 300 } });
 */
export async function startRelayHarness(
  cleanups: (() => unknown)[],
  mountPath: string,
  options: Partial<ServeRelayOptions> = {},
): Promise<RelayHarness> {
  const upstream = await startUpstream();
  cleanups.push(() => upstream.close());
  const key = fakeKey('project');
  const events: RelayEvent[] = [];
  const authorized: string[] = [];
  const relay = await serveRelay({
    resolver: createResolver({ apiKey: key, baseURL: upstream.url, organization: null, project: null }),
    authorize: (request) => {
      authorized.push(`${request.method} ${new URL(request.url).pathname}`);
      const user = /(?:^|; )session=(\w+)/.exec(request.headers.get('cookie') ?? '')?.[1];
      return user === undefined ? null : { id: user };
    },
    mountPath,
    onEvent: (event) => events.push(event),
    ...options,
  });
  cleanups.push(() => relay.close());
  return { upstream, relay, key, events, authorized };
}

/** Polls `condition` every 5 ms; throws naming `what` after `ms`. */
export async function waitFor(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
