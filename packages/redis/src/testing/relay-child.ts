/*
 * One relay process of the multi-instance tests, run by `startRelayChild` as a separate `node`. It serves two
 * relays with the same settings, each with its own Redis store: `closed` (the default: fail closed) and `open`
 * (`failOpen: true`). Credentials come from OPENAI_API_KEY and OPENAI_BASE_URL (the stub upstream) through
 * the adapter's own resolver; the principal comes from an `x-principal` header or a `principal` cookie.
 * It prints one JSON line with both URLs, then one JSON line per relay event.
 */
import { createResolver, type RelayEvent, serveRelay } from '@auth/node';
import { createRedisRateLimitStore } from '../create-redis-rate-limit-store.ts';

const redisUrl = process.env.REDIS_URL ?? '';
const requestsPerMinute = Number(process.env.RELAY_REQUESTS_PER_MINUTE);
const maxConcurrentStreams = Number(process.env.RELAY_MAX_CONCURRENT_STREAMS);

const authorize = (request: Request) => {
  const fromHeader = request.headers.get('x-principal');
  const fromCookie = /(?:^|;\s*)principal=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
  const id = fromHeader ?? fromCookie;
  return id === undefined ? null : { id };
};

const onEvent = (relay: string) => (event: RelayEvent) => {
  process.stdout.write(`${JSON.stringify({ relay, event })}\n`);
};

const stores = [createRedisRateLimitStore({ url: redisUrl }), createRedisRateLimitStore({ url: redisUrl })];
const [closedStore, openStore] = stores as [(typeof stores)[0], (typeof stores)[0]];
const resolver = createResolver();
const closed = await serveRelay({
  resolver,
  authorize,
  rateLimit: { store: closedStore, requestsPerMinute, maxConcurrentStreams },
  onEvent: onEvent('closed'),
});
const open = await serveRelay({
  resolver,
  authorize,
  rateLimit: { store: openStore, requestsPerMinute, maxConcurrentStreams, failOpen: true },
  onEvent: onEvent('open'),
});
process.stdout.write(`${JSON.stringify({ closed: closed.url, open: open.url })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.all([closed.close(), open.close()]);
  await Promise.all(stores.map((store) => store.close()));
  process.exit(0);
};
process.on('SIGTERM', stop);
// The parent holds our stdin: when it goes away (even killed), so do we.
process.stdin.on('end', stop).resume();
