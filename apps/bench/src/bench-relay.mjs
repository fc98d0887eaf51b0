// The relay's byte path on Node, side by side in one run, loopback only: the same stub upstream behind
// (a) nothing, (b) a minimal undici Pool.stream forwarder (no policy), (c) serveRelay with its full policy
// (cookie session check, default allowlist, rate limits on but never reached), and (c′) the same core relay
// with undici Pool.request instead of undici fetch for the upstream leg (to split where (c)'s cost goes).
//
// Each server runs in its own child process (this file, with a role argument) and autocannon runs here, so the
// three share the machine's cores as they would in production plus a load generator. Every case is bounded
// (1 s warm-up + 4 s measured), every child is killed when its case ends, and on any exit.
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const MOUNT = '/api/openai';
const CONNECTIONS = 50;
const WARMUP_S = 1;
const ROUNDS = 2;
const DURATION_S = 2;
const SSE_EVENTS = 20;

// ---------------------------------------------------------------------------------------------------------
// Child roles
// ---------------------------------------------------------------------------------------------------------

const completion = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-4o-mini',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello! How can I help you today? '.repeat(8) },
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 12, completion_tokens: 72, total_tokens: 84 },
});
const sseBody = `${Array.from(
  { length: SSE_EVENTS },
  (_, i) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'gpt-4o-mini',
      choices: [{ index: 0, delta: { content: `token ${i} ` }, finish_reason: null }],
    })}\n\n`,
).join('')}data: [DONE]\n\n`;
const sseEvents = sseBody.split(/(?<=\n\n)/);

/** A minimal fast OpenAI stub: reads the body, answers JSON or SSE (one write per event, as the API does). */
function startStub() {
  return createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const stream = Buffer.concat(chunks).includes('"stream":true');
      if (!stream) {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(completion),
          'x-request-id': 'req_bench',
        });
        res.end(completion);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'req_bench' });
      for (const event of sseEvents) res.write(event);
      res.end();
    });
  });
}

const random = (n) =>
  Array.from(
    { length: n },
    () => 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[Math.floor(Math.random() * 62)],
  ).join('');
const fakeKey = () => `sk-proj-${random(74)}${btoa('OpenAI')}${random(74)}`;
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-connection',
]);

/** (b) The baseline: node:http in, undici Pool.stream out, writing straight into `res`. No policy at all. */
async function startForwarder(upstreamUrl) {
  const { Pool } = await import('undici');
  const pool = new Pool(upstreamUrl, { connections: 128, pipelining: 1 });
  const authorization = `Bearer ${fakeKey()}`;
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const path = `/v1${req.url.slice(MOUNT.length)}`;
    const headers = { 'content-type': 'application/json', authorization };
    if (req.headers['content-length'] !== undefined)
      headers['content-length'] = req.headers['content-length'];
    pool.stream(
      { path, method: req.method, headers, body: req },
      ({ statusCode, headers: upstreamHeaders }) => {
        res.statusCode = statusCode;
        for (const [name, value] of Object.entries(upstreamHeaders)) {
          if (!hopByHop.has(name)) res.setHeader(name, value);
        }
        if (String(upstreamHeaders['content-type']).startsWith('text/event-stream')) res.flushHeaders();
        return res;
      },
      (error) => {
        if (error) res.destroy();
      },
    );
  });
  server.on('close', () => pool.close());
  return server;
}

function relayOptions(upstreamUrl, createResolver) {
  return {
    resolver: createResolver({
      apiKey: fakeKey(),
      baseURL: `${upstreamUrl}/v1`,
      organization: null,
      project: null,
    }),
    // The app's session check: a cookie, as a real app would look it up.
    authorize: (request) => {
      const user = /(?:^|; )session=(\w+)/.exec(request.headers.get('cookie') ?? '')?.[1];
      return user === undefined ? null : { id: user };
    },
    mountPath: MOUNT,
    // On, with the default in-memory store, but high enough never to refuse during the run.
    rateLimit: { requestsPerMinute: 1e9, maxConcurrentStreams: 10_000 },
  };
}

/** (c) serveRelay as shipped: node:http → Request → core relay (undici fetch upstream) → Response → res. */
async function startServeRelay(upstreamUrl) {
  const { serveRelay, createResolver } = await import('@auth/node');
  return serveRelay({ ...relayOptions(upstreamUrl, createResolver), keepAliveTimeoutMs: 60_000 });
}

/**
 * (c′) The same core relay and the same node:http adapter, but the upstream leg is undici `Pool.request` wrapped
 * in a `Response` instead of undici `fetch`: isolates what fetch costs from what the inbound Request/Response
 * round trip and the policy cost.
 */
async function startRelayPoolFetch(upstreamUrl) {
  const { createRelay, createResolver, toNodeListener } = await import('@auth/node');
  const { Pool } = await import('undici');
  const pool = new Pool(upstreamUrl, { connections: 128, pipelining: 1 });
  const origin = new URL(upstreamUrl).origin;
  const poolFetch = async (url, init) => {
    const target = new URL(url);
    if (target.origin !== origin) throw new TypeError('bench: one upstream only');
    const headers = { ...init.headers };
    if (init.body != null) headers['content-length'] = String(init.body.byteLength);
    const {
      statusCode,
      headers: upstreamHeaders,
      body,
    } = await pool.request({
      path: target.pathname + target.search,
      method: init.method,
      headers,
      body: init.body ?? undefined,
      signal: init.signal,
    });
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(upstreamHeaders)) {
      if (hopByHop.has(name)) continue;
      for (const item of Array.isArray(value) ? value : [value]) responseHeaders.append(name, item);
    }
    const { Readable } = await import('node:stream');
    return new Response(Readable.toWeb(body), { status: statusCode, headers: responseHeaders });
  };
  const relay = createRelay({ ...relayOptions(upstreamUrl, createResolver), fetch: poolFetch });
  await relay.ready();
  const server = createServer({ keepAliveTimeout: 60_000 }, toNodeListener(relay));
  server.on('close', () => pool.close());
  return server;
}

/**
 * (d*) An estimate of the undici byte path, built only from what core exposes today (no `decide()` step): the
 * inbound `Request` is still built and core's relay runs its whole request-side policy, but its `fetch` seam
 * (called once every check has passed, with the decided target, headers and body) sends with undici
 * `Pool.stream` straight into node:http's `res` and hands the relay an empty marker `Response`. Not a product:
 * core's response-side policy (error mapping, 401 retry, response header allowlist, CORS headers, idle and
 * event limits) is skipped, so this is the ceiling of what a decide()/deliver() split can buy.
 */
async function startRelayFetchSeam(upstreamUrl) {
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const { Readable } = await import('node:stream');
  const { createRelay, createResolver } = await import('@auth/node');
  const { Pool } = await import('undici');
  const pool = new Pool(upstreamUrl, { connections: 128, pipelining: 1 });
  const current = new AsyncLocalStorage();
  const streamFetch = (url, init) => {
    const res = current.getStore();
    const target = new URL(url);
    const headers = { ...init.headers };
    if (init.body != null) headers['content-length'] = String(init.body.byteLength);
    return new Promise((resolve, reject) => {
      pool.stream(
        {
          path: target.pathname + target.search,
          method: init.method,
          headers,
          body: init.body ?? undefined,
          signal: init.signal,
        },
        ({ statusCode, headers: upstreamHeaders }) => {
          res.statusCode = statusCode;
          for (const [name, value] of Object.entries(upstreamHeaders)) {
            if (!hopByHop.has(name)) res.setHeader(name, value);
          }
          if (String(upstreamHeaders['content-type']).startsWith('text/event-stream')) res.flushHeaders();
          return res;
        },
        (error) => (error ? reject(error) : resolve(new Response(null, { status: 204 }))),
      );
    });
  };
  const relay = createRelay({ ...relayOptions(upstreamUrl, createResolver), fetch: streamFetch });
  await relay.ready();
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const headers = new Headers();
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? null : Readable.toWeb(req),
      duplex: 'half',
      signal: controller.signal,
    });
    current
      .run(res, async () => {
        const response = await relay(request);
        if (res.headersSent || res.destroyed) return;
        // A refusal decided by core's policy: written as is (small JSON bodies).
        res.statusCode = response.status;
        for (const [name, value] of response.headers) res.setHeader(name, value);
        res.end(Buffer.from(await response.arrayBuffer()));
      })
      .catch(() => res.destroy());
  });
  server.on('close', () => pool.close());
  return server;
}

async function runChild(role, upstreamUrl) {
  let server;
  if (role === 'upstream') server = startStub();
  else if (role === 'forwarder') server = await startForwarder(upstreamUrl);
  else if (role === 'relay-pool') server = await startRelayPoolFetch(upstreamUrl);
  else if (role === 'relay-seam') server = await startRelayFetchSeam(upstreamUrl);
  else if (role === 'serve-relay') {
    const relay = await startServeRelay(upstreamUrl);
    process.send({ url: relay.url, cpu: process.cpuUsage() });
    process.on('message', async (message) => {
      if (message === 'cpu') process.send({ cpu: process.cpuUsage() });
      if (message === 'close') {
        await relay.close();
        process.exit(0);
      }
    });
    return;
  } else throw new Error(`bench-relay: unknown role ${role}`);
  if (!server.listening) await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  process.send({ url: `http://127.0.0.1:${server.address().port}` });
  process.on('message', (message) => {
    if (message === 'cpu') process.send({ cpu: process.cpuUsage() });
    if (message === 'close') {
      server.close(() => process.exit(0));
      for (const socket of sockets) socket.destroy();
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Parent: spawn, load, measure
// ---------------------------------------------------------------------------------------------------------

const children = new Set();
const killAll = () => {
  for (const child of children) child.kill('SIGKILL');
};

/** Starts this file as a child in `role`; resolves with its URL and a handle to read its CPU and stop it. */
function spawnRole(role, upstreamUrl = '') {
  const child = fork(SELF, [role, upstreamUrl], {
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const next = () =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench-relay: ${role} did not answer`)), 15_000);
      child.once('message', (message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  return next().then(({ url }) => ({
    url,
    cpu: async () => (await Promise.all([next(), child.send('cpu')]))[0].cpu,
    close: () =>
      new Promise((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send('close');
      }),
  }));
}

const bodies = {
  JSON: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }] }),
  SSE: JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Say hello.' }],
    stream: true,
  }),
};

// What a same-origin browser page sends: its session cookie and its Origin (the relay's CSRF check needs one).
const headersFor = (url) => ({
  'content-type': 'application/json',
  cookie: 'session=bench',
  origin: new URL(url).origin,
});

/** Median of up to 400 sequential requests (≤ 1 s) over one keep-alive connection, in ms. */
async function idleMedian(url) {
  const { request, Agent } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = () =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const req = request(url, { method: 'POST', agent, headers: headersFor(url) }, (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(performance.now() - started)
            : reject(new Error(`${res.statusCode}`)),
        );
      });
      req.on('error', reject);
      req.end(bodies.JSON);
    });
  try {
    for (let i = 0; i < 50; i++) await once();
    const times = [];
    const started = performance.now();
    while (times.length < 400 && performance.now() - started < 1000) times.push(await once());
    times.sort((x, y) => x - y);
    return times[Math.floor(times.length / 2)];
  } finally {
    agent.destroy();
  }
}

/** One request by hand before loading: the path must answer 200 with the full body, or the numbers lie. */
async function checkOnce(url, kind) {
  const response = await fetch(url, {
    method: 'POST',
    headers: headersFor(url),
    body: bodies[kind],
  });
  const text = await response.text();
  const ok = response.status === 200 && (kind === 'JSON' ? text === completion : text === sseBody);
  if (!ok) throw new Error(`bench-relay: ${url} answered ${response.status} ${text.slice(0, 200)}`);
}

async function load(url, kind, seconds, connections = CONNECTIONS) {
  const { default: autocannon } = await import('autocannon');
  return autocannon({
    url,
    method: 'POST',
    headers: headersFor(url),
    body: bodies[kind],
    connections,
    pipelining: 1,
    duration: seconds,
  });
}

export async function benchRelay() {
  process.once('exit', killAll);
  const upstream = await spawnRole('upstream');
  const servers = [];
  try {
    const cases = [
      { name: '(a) direct to the stub upstream', server: { url: upstream.url } },
      { name: '(b) undici Pool.stream forwarder, no policy', role: 'forwarder' },
      { name: '(c) serveRelay (@auth/node), full policy', role: 'serve-relay' },
      { name: '(c′) core relay + toNodeListener, upstream via Pool.request', role: 'relay-pool' },
      { name: '(d*) core policy via its fetch seam, Pool.stream into res (estimate)', role: 'relay-seam' },
    ];
    // All up at once (idle ones cost nothing), so rounds can alternate between them against machine drift.
    for (const benchCase of cases) {
      if (benchCase.role === undefined) continue;
      benchCase.server = await spawnRole(benchCase.role, upstream.url);
      servers.push(benchCase.server);
    }
    for (const benchCase of cases) {
      benchCase.url =
        benchCase.server.url === upstream.url
          ? `${upstream.url}/v1/chat/completions`
          : `${benchCase.server.url}${MOUNT}/chat/completions`;
    }
    const rows = [];
    for (const kind of ['JSON', 'SSE']) {
      for (const benchCase of cases) {
        await checkOnce(benchCase.url, kind);
        await load(benchCase.url, kind, kind === 'JSON' ? WARMUP_S : WARMUP_S / 2);
      }
      const best = new Map();
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? cases : [...cases].reverse();
        for (const benchCase of order) {
          const { server } = benchCase;
          const before = server.cpu ? await server.cpu() : undefined;
          const result = await load(benchCase.url, kind, DURATION_S);
          const after = server.cpu ? await server.cpu() : undefined;
          const failed = result.errors + result.timeouts + result.non2xx;
          if (failed > 0)
            throw new Error(`bench-relay: ${benchCase.name} ${kind}: ${failed} failed requests`);
          const row = {
            kind,
            name: benchCase.name,
            rps: result.requests.total / DURATION_S,
            p50: result.latency.p50,
            p99: result.latency.p99,
            cpuUs:
              before && after
                ? (after.user + after.system - before.user - before.system) / result.requests.total
                : undefined,
          };
          if ((best.get(benchCase.name)?.rps ?? -1) < row.rps) best.set(benchCase.name, row);
        }
      }
      rows.push(...cases.map((benchCase) => best.get(benchCase.name)));
    }
    // Latency with no load: one keep-alive connection, one request at a time, timed here to 0.01 ms.
    for (const benchCase of cases) {
      const row = rows.find((r) => r.kind === 'JSON' && r.name === benchCase.name);
      row.idleP50 = await idleMedian(benchCase.url);
    }
    for (const row of rows) {
      const of = (prefix) => rows.find((other) => other.kind === row.kind && other.name.startsWith(prefix));
      row.vsB = row.rps / of('(b)').rps;
      row.vsA = row.rps / of('(a)').rps;
    }
    return rows;
  } finally {
    for (const server of servers) await server.close();
    await upstream.close();
    process.off('exit', killAll);
  }
}

/**
 * Core's relay alone, in process, no sockets: `Request` in, a fake upstream answering a small JSON body, the
 * `Response` read out. What the policy plus the Fetch objects cost per request, bounded to ~1 s.
 */
export async function benchRelayInProcess() {
  const { createRelay, createResolver } = await import('@auth/node');
  const bytes = new TextEncoder().encode(bodies.JSON);
  const answer = new TextEncoder().encode(completion);
  const relay = createRelay({
    ...relayOptions('http://127.0.0.1:9', createResolver),
    fetch: async () => new Response(answer, { status: 200, headers: { 'content-type': 'application/json' } }),
  });
  await relay.ready();
  const headers = { ...headersFor('http://127.0.0.1:3000'), 'content-length': String(bytes.byteLength) };
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

export const relayBenchSetup = {
  connections: CONNECTIONS,
  warmupS: WARMUP_S,
  rounds: ROUNDS,
  durationS: DURATION_S,
  sseEvents: SSE_EVENTS,
};

if (process.argv[2] !== undefined && process.send !== undefined) {
  runChild(process.argv[2], process.argv[3]).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
