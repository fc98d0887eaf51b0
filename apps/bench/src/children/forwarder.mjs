// (b) The baseline: node:http in, undici Pool.stream out, writing straight into `res`. No policy at all: the
// key is added, hop-by-hop headers dropped, nothing checked. Prints `READY <url>`; exits when stdin ends.
import { createServer } from 'node:http';
import { Pool } from 'undici';
import { MOUNT } from '../fixtures.mjs';
import { hopByHop, serveUntilStdinEnds } from './serve-child.mjs';

const { key, upstream } = JSON.parse(process.env.BENCH_CONFIG);
const pool = new Pool(upstream, { connections: 128, pipelining: 1 });
const authorization = `Bearer ${key}`;
const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const path = `/v1${req.url.slice(MOUNT.length)}`;
  const headers = { 'content-type': 'application/json', authorization };
  if (req.headers['content-length'] !== undefined) headers['content-length'] = req.headers['content-length'];
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
serveUntilStdinEnds(server);
