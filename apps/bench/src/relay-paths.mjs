// The paths the relay bench puts side by side, each in front of the same stub upstream: how to start it, the URL
// a client calls and the headers it sends. A path that cannot run here (nginx not installed, a runtime binary
// missing) throws NotRun with what to do; its row then says "not run", never a number.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MOUNT } from './fixtures.mjs';
import { freePort, registerTempDir, startProcess } from './processes.mjs';

const benchRoot = fileURLToPath(new URL('..', import.meta.url));
const child = (name) => fileURLToPath(new URL(`./children/${name}`, import.meta.url));
const modules = (path) => join(benchRoot, 'node_modules', path);

export class NotRun extends Error {}

const childEnv = (ctx, extra = {}) => ({
  ...process.env,
  NO_COLOR: '1',
  BENCH_CONFIG: JSON.stringify({
    key: ctx.key,
    upstream: ctx.upstream,
    session: ctx.session,
    metering: ctx.metering,
  }),
  ...extra,
});

/** What a same-origin browser page sends through a relay: its session cookie and its Origin. */
const browserHeaders = (ctx, server) => ({
  'content-type': 'application/json',
  cookie: `session=${ctx.session}`,
  origin: new URL(server.url).origin,
});

const viaMount = (server) => `${server.url}${MOUNT}/chat/completions`;

function requireFile(path, what) {
  if (!existsSync(path))
    throw new NotRun(`${what} not found at ${path}: run \`pnpm install\` (apps/bench devDependencies)`);
  return path;
}

/** (c) serveRelay on one runtime, full policy (./policy.mjs), in its own process; (c-min) on Node, minimal policy. */
function relayOn(runtime, policy = 'full') {
  return async (ctx) => {
    const entry = child('relay-server.mjs');
    if (runtime === 'node')
      return startProcess(`relay (node, ${policy} policy)`, process.execPath, [entry], {
        env: childEnv(ctx, policy === 'minimal' ? { BENCH_POLICY: 'minimal' } : {}),
        cwd: benchRoot,
      });
    if (runtime === 'deno') {
      const deno = requireFile(modules('deno/deno'), 'deno 2.9.6 (npm package `deno`)');
      return startProcess(
        'relay (deno)',
        deno,
        ['run', '--no-prompt', '--allow-net=127.0.0.1', '--allow-env', '--allow-read', entry],
        { env: childEnv(ctx), cwd: benchRoot },
      );
    }
    return startProcess('relay (bun)', bunBinary(), [entry], { env: childEnv(ctx), cwd: benchRoot });
  };
}

const bunBinary = () => requireFile(modules('bun/bin/bun.exe'), 'bun 1.4.5 (npm package `bun`)');

function findNginx() {
  const candidates = [
    '/usr/sbin/nginx',
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'nginx')),
  ];
  return candidates.find((path) => path && existsSync(path));
}

/**
 * nginx as a plain reverse proxy (no session check, no allowlists): the bench's own config in a temp dir, run in
 * the foreground (`daemon off`), pid, logs and temp paths inside that dir, loopback only, keep-alive to the
 * upstream, `proxy_buffering off` so SSE events pass as they come, the key added by `proxy_set_header`.
 */
async function startNginx(ctx) {
  const binary = findNginx();
  if (binary === undefined)
    throw new NotRun(
      'nginx is not installed (looked for /usr/sbin/nginx and nginx on PATH): `apt-get install nginx`',
    );
  const dir = mkdtempSync(join(tmpdir(), 'auth-bench-nginx-'));
  const removeDir = registerTempDir(dir);
  const port = await freePort();
  const upstream = new URL(ctx.upstream);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes ${ctx.nginxWorkers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_timeout 60s;
  keepalive_requests 10000000;
  upstream stub {
    server ${upstream.host};
    keepalive 128;
    keepalive_requests 10000000;
  }
  server {
    listen 127.0.0.1:${port};
    location = /ready { return 204; }
    location ${MOUNT}/ {
      proxy_pass http://stub/v1/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer ${ctx.key}";
      proxy_set_header Cookie "";
      proxy_buffering off;
    }
  }
}
`,
    { mode: 0o600 },
  );
  try {
    const server = await startProcess(
      'nginx',
      binary,
      ['-p', `${dir}/`, '-c', conf, '-e', `${dir}/error.log`, '-g', 'daemon off;'],
      { readyUrl: `http://127.0.0.1:${port}/ready`, timeoutMs: 15_000 },
    );
    server.url = `http://127.0.0.1:${port}`;
    const stop = server.stop;
    server.stop = async () => {
      try {
        await stop();
      } finally {
        removeDir();
      }
    };
    return server;
  } catch (error) {
    removeDir();
    throw error;
  }
}

/**
 * The Portkey gateway 1.15.2 (its build/start-server.js, as its `gateway` bin runs it), `--port=N --headless`.
 * The caller sends the key (Portkey's model), `x-portkey-provider: openai` and `x-portkey-custom-host` pointing at
 * the stub (loopback is in its default TRUSTED_CUSTOM_HOSTS). It has no host flag and listens on every interface:
 * ./children/portkey-preload.mjs, preloaded, binds it to 127.0.0.1, and works around its SSE failure on Node
 * (upstream response headers are immutable under @hono/node-server 1.19; see that file).
 */
async function startPortkey() {
  const entry = requireFile(
    modules('@portkey-ai/gateway/build/start-server.js'),
    '@portkey-ai/gateway 1.15.2',
  );
  const port = await freePort();
  const server = await startProcess(
    'Portkey gateway',
    process.execPath,
    ['--import', child('portkey-preload.mjs'), entry, `--port=${port}`, '--headless'],
    { readyUrl: `http://127.0.0.1:${port}/`, cwd: benchRoot, timeoutMs: 30_000 },
  );
  server.url = `http://127.0.0.1:${port}`;
  return server;
}

export const PATHS = [
  {
    id: 'direct',
    label: '(a) direct to the stub upstream',
    short: '(a) direct',
    start: async () => null,
    url: (ctx) => `${ctx.upstream}/v1/chat/completions`,
    // A server-side SDK call: the key in Authorization.
    headers: (ctx) => ({ 'content-type': 'application/json', authorization: `Bearer ${ctx.key}` }),
  },
  {
    id: 'forwarder',
    label: '(b) undici Pool.stream forwarder, no policy (Node)',
    short: '(b) forwarder',
    start: (ctx) =>
      startProcess('forwarder', process.execPath, [child('forwarder.mjs')], {
        env: childEnv(ctx),
        cwd: benchRoot,
      }),
    url: (_ctx, server) => viaMount(server),
    headers: browserHeaders,
  },
  {
    id: 'forwarder-bun',
    label: '(b-bun) Bun.serve + fetch forwarder, no policy (Bun)',
    short: '(b-bun) forwarder Bun',
    start: (ctx) =>
      startProcess('forwarder (bun)', bunBinary(), [child('forwarder-bun.mjs')], {
        env: childEnv(ctx),
        cwd: benchRoot,
      }),
    url: (_ctx, server) => viaMount(server),
    headers: browserHeaders,
  },
  {
    id: 'node',
    label: '(c) serveRelay @auth/node, full policy',
    short: '(c) relay Node',
    ours: true,
    start: relayOn('node'),
    url: (_ctx, server) => viaMount(server),
    headers: browserHeaders,
  },
  {
    id: 'node-min',
    label: '(c-min) serveRelay @auth/node, minimal policy',
    short: '(c-min) relay Node, minimal',
    start: relayOn('node', 'minimal'),
    url: (_ctx, server) => viaMount(server),
    headers: browserHeaders,
  },
  {
    id: 'deno',
    label: '(c-deno) serveRelay @auth/deno, full policy',
    short: '(c) relay Deno',
    ours: true,
    start: relayOn('deno'),
    url: (_ctx, server) => viaMount(server),
    headers: browserHeaders,
  },
  {
    id: 'bun',
    label: '(c-bun) serveRelay @auth/bun, full policy',
    short: '(c) relay Bun',
    ours: true,
    start: relayOn('bun'),
    url: (_ctx, server) => viaMount(server),
    headers: browserHeaders,
  },
  {
    id: 'nginx',
    label: '(n) nginx 1.22 reverse proxy, no policy',
    short: '(n) nginx',
    start: startNginx,
    url: (_ctx, server) => viaMount(server),
    headers: (ctx) => ({ 'content-type': 'application/json', cookie: `session=${ctx.session}` }),
  },
  {
    id: 'portkey',
    label: '(p) Portkey gateway 1.15.2',
    short: '(p) Portkey',
    start: startPortkey,
    url: (_ctx, server) => `${server.url}/v1/chat/completions`,
    headers: (ctx) => ({
      'content-type': 'application/json',
      authorization: `Bearer ${ctx.key}`,
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `${ctx.upstream}/v1`,
    }),
  },
];

export { childEnv };
