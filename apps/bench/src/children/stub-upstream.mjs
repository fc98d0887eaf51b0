// The stub OpenAI upstream every path ends at: node:http, its own process. Reads the body, answers the JSON
// completion or the SSE stream (one write per event, as the API does). A request without the run's key in
// `Authorization` gets 401, so a path that failed to add the key shows up as errors, not as a fast row.
// Prints `READY <url>`; exits when stdin ends or on SIGTERM.
import { createServer } from 'node:http';
import { completion, sseEvents } from '../fixtures.mjs';
import { serveUntilStdinEnds } from './serve-child.mjs';

const expected = `Bearer ${JSON.parse(process.env.BENCH_CONFIG).key}`;
const completionLength = String(Buffer.byteLength(completion));
const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"bench stub: missing or wrong key","code":"invalid_api_key"}}');
      return;
    }
    if (!Buffer.concat(chunks).includes('"stream":true')) {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': completionLength,
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
serveUntilStdinEnds(server);
