// The relay side by side with the peers, in one run, loopback only: the same node:http stub upstream (its own
// process) behind (a) nothing, (b) a minimal undici forwarder, (c) serveRelay with the full policy on Node,
// Deno and Bun, (n) nginx, and (p) the Portkey gateway. Every proxy runs
// in its own process; autocannon runs here, so load generator, proxy and upstream share the machine's cores.
//
// Order: start everything, check each path answers the full body, warm each up, then throughput rounds that
// alternate the order of the paths (the machine is shared and noisy), then idle latency and time to first SSE
// event in alternating blocks, then check every path again. Every load is bounded (duration, or count and time).
import { Agent, request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { ALPHANUMERIC, bodies, completion, fakeProjectKey, isFullAnswer, randomString } from './fixtures.mjs';
import { relayPolicy } from './policy.mjs';
import { startProcess } from './processes.mjs';
import { childEnv, NotRun, PATHS } from './relay-paths.mjs';

export const KINDS = ['JSON', 'SSE'];

export const defaultRelaySettings = {
  connections: 50,
  warmupS: 1,
  rounds: 3,
  durationS: 2,
  latencyRounds: 5,
  latencyPerRound: 60,
  nginxWorkers: 1,
  metering: true,
  paths: undefined, // all
};

export const quickRelaySettings = {
  warmupS: 0.5,
  rounds: 1,
  durationS: 1,
  latencyRounds: 2,
  latencyPerRound: 40,
};

/** A new run context: the fake key, the signed-in session, the stub upstream. */
export async function startUpstream(settings) {
  const ctx = {
    key: fakeProjectKey(),
    session: randomString(ALPHANUMERIC, 32),
    metering: settings.metering,
    nginxWorkers: settings.nginxWorkers,
  };
  const upstream = await startProcess(
    'stub upstream',
    process.execPath,
    [fileURLToPath(new URL('./children/stub-upstream.mjs', import.meta.url))],
    { env: childEnv(ctx) },
  );
  ctx.upstream = upstream.url;
  return { ctx, upstream };
}

/** One request by hand: the path must answer 200 with the whole answer, or its numbers would lie. */
export async function checkOnce(url, headers, kind) {
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: bodies[kind],
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 200 || !isFullAnswer(kind, text))
    throw new Error(`${kind} answered ${response.status} ${text.slice(0, 300)}`);
}

/**
 * autocannon against `url`: `{ run }`, the running instance (an event emitter, and a thenable of the result;
 * wrapped so that an `await` does not unwrap it).
 */
export function startLoad(url, headers, kind, options) {
  return { run: autocannon({ url, method: 'POST', headers, body: bodies[kind], pipelining: 1, ...options }) };
}

/** autocannon's result for a bounded load. */
export const load = (url, headers, kind, options) => startLoad(url, headers, kind, options).run;

/**
 * Sequential requests on one keep-alive connection (opened by one untimed request first), `count` of them (at
 * most `maxMs`): the time of each until the whole answer (`until: 'end'`) or until its first body bytes
 * (`until: 'first'`), in ms.
 */
async function sequential(url, headers, kind, { count, maxMs, until }) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = bodies[kind];
  const once = () =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      let first;
      const req = httpRequest(
        url,
        { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.on('data', () => {
            first ??= performance.now() - started;
          });
          res.on('end', () => {
            if (res.statusCode !== 200) reject(new Error(`${url} answered ${res.statusCode}`));
            else resolve(until === 'first' ? first : performance.now() - started);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
      req.end(body);
    });
  try {
    await once(); // opens the connection: not timed
    const times = [];
    const started = performance.now();
    while (times.length < count && performance.now() - started < maxMs) times.push(await once());
    return times;
  } finally {
    agent.destroy();
  }
}

const median = (values) => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * Runs the side-by-side relay bench. Resolves to `{ settings, paths, rows, latency }`: per path its label, and
 * for each kind the best round (req/s, p50, p99, CPU per request, CPU share of one core, errors), RSS, idle
 * latency and time to first SSE event.
 */
export async function benchRelay(overrides = {}, log = () => {}) {
  const settings = { ...defaultRelaySettings, ...overrides };
  const candidates = PATHS.filter(
    (path) =>
      settings.paths === undefined ||
      ['direct', 'forwarder'].includes(path.id) ||
      settings.paths.includes(path.id),
  );
  const paths = candidates.map((path) => ({ ...path, results: {}, samples: {}, notRun: undefined }));
  const { ctx, upstream } = await startUpstream(settings);
  try {
    for (const path of paths) {
      try {
        path.server = await path.start(ctx);
        path.endpoint = path.url(ctx, path.server);
        path.requestHeaders = path.headers(ctx, path.server);
        for (const kind of KINDS) await checkOnce(path.endpoint, path.requestHeaders, kind);
        path.rssStartKb = path.server?.stats().rssKb;
        log(`  ${path.label}: up`);
      } catch (error) {
        path.notRun =
          error instanceof NotRun
            ? `not run: ${error.message}`
            : `not run: failed: ${error.message.split('\n')[0]}`;
        log(`  ${path.label}: ${path.notRun}`);
        if (!(error instanceof NotRun)) console.error(error.message);
        await path.server?.stop();
        path.server = undefined;
      }
    }
    const active = paths.filter((path) => path.notRun === undefined);
    for (const kind of KINDS) {
      for (const path of active)
        await load(path.endpoint, path.requestHeaders, kind, {
          connections: settings.connections,
          duration: settings.warmupS,
        });
      for (let round = 0; round < settings.rounds; round++) {
        log(`  ${kind} round ${round + 1}/${settings.rounds}`);
        const order = round % 2 === 0 ? active : [...active].reverse();
        for (const path of order) {
          const before = path.server?.stats();
          const result = await load(path.endpoint, path.requestHeaders, kind, {
            connections: settings.connections,
            duration: settings.durationS,
          });
          const after = path.server?.stats();
          const requests = result.requests.total;
          const cpuS = before && after ? after.cpuS - before.cpuS : undefined;
          const sample = {
            rps: requests / result.duration,
            requests,
            p50: result.latency.p50,
            p99: result.latency.p99,
            errors: result.errors + result.non2xx,
            cpuUs: cpuS === undefined || requests === 0 ? undefined : (cpuS * 1e6) / requests,
            cpuShare: cpuS === undefined ? undefined : cpuS / result.duration,
            rssKb: after?.rssKb,
          };
          path.samples[kind] ??= [];
          path.samples[kind].push(sample);
        }
      }
      // Best of the rounds (interference on a shared machine only slows a path down); errors of every round.
      for (const path of active) {
        const samples = path.samples[kind];
        const best = samples.reduce((a, b) => (b.rps > a.rps ? b : a));
        path.results[kind] = {
          ...best,
          rounds: samples.map((sample) => sample.rps),
          errors: samples.reduce((sum, sample) => sum + sample.errors, 0),
        };
      }
    }
    for (const path of active) path.rssAfterKb = path.server?.stats().rssKb;
    // Idle latency (JSON, whole answer) and time to the first SSE event, one request at a time.
    const idle = new Map(active.map((path) => [path, { json: [], sse: [] }]));
    for (const path of active) {
      await sequential(path.endpoint, path.requestHeaders, 'JSON', { count: 30, maxMs: 1000, until: 'end' });
      await sequential(path.endpoint, path.requestHeaders, 'SSE', { count: 10, maxMs: 1000, until: 'first' });
    }
    log('  idle latency and first SSE event');
    for (let round = 0; round < settings.latencyRounds; round++) {
      const order = round % 2 === 0 ? active : [...active].reverse();
      for (const path of order) {
        const samples = idle.get(path);
        samples.json.push(
          ...(await sequential(path.endpoint, path.requestHeaders, 'JSON', {
            count: settings.latencyPerRound,
            maxMs: 1000,
            until: 'end',
          })),
        );
        samples.sse.push(
          ...(await sequential(path.endpoint, path.requestHeaders, 'SSE', {
            count: settings.latencyPerRound,
            maxMs: 1000,
            until: 'first',
          })),
        );
      }
    }
    for (const path of active) {
      const samples = idle.get(path);
      path.idleP50 = median(samples.json);
      path.firstEventP50 = median(samples.sse);
      path.latencySamples = { json: samples.json.length, sse: samples.sse.length };
      // After all the load: still the whole answer?
      for (const kind of KINDS) {
        try {
          await checkOnce(path.endpoint, path.requestHeaders, kind);
        } catch (error) {
          path.results[kind].errors += 1;
          path.brokenAfterLoad = error.message;
        }
      }
    }
    return { settings, paths };
  } finally {
    for (const path of paths) await path.server?.stop().catch(() => {});
    await upstream.stop();
  }
}

/**
 * Core's relay alone, in process, no sockets, same full policy: `Request` in, a fake upstream answering the JSON
 * completion, the `Response` read out. What the policy plus the Fetch objects cost per request, ≤ ~1 s.
 */
export async function benchRelayInProcess({ metering = true } = {}) {
  const { createRelay, createResolver } = await import('@auth/node');
  const session = randomString(ALPHANUMERIC, 32);
  const bytes = new TextEncoder().encode(bodies.JSON);
  const answer = new TextEncoder().encode(completion);
  const relay = createRelay({
    ...relayPolicy(createResolver, {
      key: fakeProjectKey(),
      upstream: 'http://127.0.0.1:9',
      session,
      metering,
    }),
    fetch: async () => new Response(answer, { status: 200, headers: { 'content-type': 'application/json' } }),
  });
  await relay.ready();
  const headers = {
    'content-type': 'application/json',
    cookie: `session=${session}`,
    origin: 'http://127.0.0.1:3000',
    'content-length': String(bytes.byteLength),
  };
  const once = async () => {
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
    const response = await relay(
      new Request('http://127.0.0.1:3000/api/openai/chat/completions', {
        method: 'POST',
        headers,
        body,
        duplex: 'half',
        signal: new AbortController().signal,
      }),
    );
    if (response.status !== 200) throw new Error(`bench-relay: in-process relay answered ${response.status}`);
    await response.arrayBuffer();
  };
  for (let i = 0; i < 1000; i++) await once();
  let done = 0;
  const started = performance.now();
  while (done < 20_000 && performance.now() - started < 1000) {
    for (let i = 0; i < 100; i++) await once();
    done += 100;
  }
  return { usPerRequest: ((performance.now() - started) * 1000) / done };
}
