// @ts-check
/*
 * The relay under test, alone in its own process, as it runs in production: `serveRelay` from the built
 * `@auth/node`, one server per upstream origin. The parent measures this process's memory and file
 * descriptors from /proc, which would be meaningless if the load generator and the stub upstream shared it.
 *
 * Plain JavaScript because Node 20 runs no TypeScript; `startRelayChild` (start-relay-child.ts) is the typed
 * side of the protocol. The key arrives over the IPC channel, never through argv or the environment (`ps`
 * and /proc/<pid>/environ would show it). Nothing here prints a value of its own, only relay events (which
 * hold no secret by contract), so the parent can scan every line for leaks.
 */
import { createResolver, serveRelay } from '@auth/node';

/** @type {{ close(): Promise<void> }[]} */
const servers = [];
/** Relay events by `<status> <error code>`, counted even when they are not printed. */
const counts = /** @type {Record<string, number>} */ ({});
let relayed = 0;

/** @param {unknown} message */
function send(message) {
  process.send?.(message);
}

/**
 * @param {{
 *   key: string,
 *   relays: { name: string, baseURL: string, rateLimit?: object | false }[],
 *   serve: Record<string, unknown>,
 *   logEvents: boolean,
 * }} config
 */
async function start(config) {
  /** @type {Record<string, string>} */
  const urls = {};
  for (const { name, baseURL, rateLimit } of config.relays) {
    const relay = await serveRelay({
      resolver: createResolver({ apiKey: config.key, baseURL, organization: null, project: null }),
      // The app's session check: a `session=<principal>` cookie, as a browser would send it.
      authorize: (request) => {
        const id = /(?:^|;\s*)session=([\w-]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
        return id === undefined ? null : { id };
      },
      mountPath: '/api/openai',
      // High enough that only the limits a test chooses refuse anything.
      rateLimit: rateLimit ?? { requestsPerMinute: 10_000_000, maxConcurrentStreams: 100_000 },
      onEvent: (event) => {
        relayed++;
        const label = `${event.status} ${event.error?.code ?? ''}`.trim();
        counts[label] = (counts[label] ?? 0) + 1;
        if (config.logEvents) console.log(JSON.stringify({ relay: name, ...event }));
      },
      ...config.serve,
    });
    servers.push(relay);
    urls[name] = relay.url;
  }
  return urls;
}

process.on('message', (/** @type {any} */ message) => {
  if (message?.type === 'start') {
    start(message.config).then(
      (urls) => send({ type: 'ready', urls }),
      // The relay's own errors are typed and hold no key; the parent scans this text anyway.
      (error) => send({ type: 'failed', code: error?.code, message: String(error?.message ?? error) }),
    );
  } else if (message?.type === 'stats') {
    // Measured after a full collection when asked, so that garbage not yet collected is not counted as growth.
    if (message.gc) globalThis.gc?.();
    send({ type: 'stats', relayed, counts: { ...counts }, memory: process.memoryUsage() });
  } else if (message?.type === 'stop') {
    Promise.all(servers.map((server) => server.close())).finally(() => {
      send({ type: 'stopped' });
      process.disconnect?.();
      process.exitCode = 0;
    });
  }
});

// Never outlive the test: when the parent goes (even killed), the IPC channel closes.
process.on('disconnect', () => process.exit(0));
