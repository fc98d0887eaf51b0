import {
  assertNoLeak,
  fakeKey,
  openRawHttp,
  parseRawResponse,
  type RawHttpConnection,
  startUpstream,
  type Upstream,
} from '@auth/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTraffic, type TrafficRequest } from './generate-traffic.ts';
import { percentile } from './percentile.ts';
import { type RelayChild, startRelayChild } from './start-relay-child.ts';
import { tally } from './tally.ts';
import { waitFor } from './wait-for.ts';

/*
 * F47: many concurrent slow bodies (1 byte/s) against serveRelay (in a child process). node:http's
 * requestTimeout must cut each with 408; no upstream request may be opened for any of them; legitimate
 * requests, bodies included, must still be served.
 */

const MOUNT = '/api/openai';
const SOCKETS = 100;
const BYTE_EVERY_MS = 1_000;
const BODY_BYTES = 100;
// Each slow request has complete headers and sends its body at 1 byte/s: 4 s lets it send 4 or 5 bytes, so the
// cut is the whole-request limit at work on a trickling body, not the headers limit.
const REQUEST_TIMEOUT_MS = 4_000;
const HEADERS_TIMEOUT_MS = 2_000;
// serveRelay checks the timeouts every min(1 s, headersTimeout / 4).
const CHECK_INTERVAL_MS = HEADERS_TIMEOUT_MS / 4;
// How late past limit + interval a cut may land on a loaded shared VM (see slowloris.test.ts).
const SLACK_MS = 3_000;
// The relay's own limit on a pause inside the request body (limits.timeoutMs): far longer than the 1 s
// pauses here, so that what cuts the slow senders is serveRelay's requestTimeout, the case under test.
const RELAY_BODY_PAUSE_MS = 30_000;
// As in F46: 250 ms, or 3 × the machine's noise measured just before, whichever is larger.
const P99_BOUND_MS = 250;
const P99_NOISE_FACTOR = 3;

let upstream: Upstream;
let child: RelayChild;
const key = fakeKey('project');
const connections: RawHttpConnection[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
  child = await startRelayChild({
    key,
    relays: [{ name: 'main', baseURL: upstream.url }],
    serve: {
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      limits: { timeoutMs: RELAY_BODY_PAUSE_MS },
    },
    logEvents: true,
  });
});

afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close()));
  await child?.stop();
  await upstream?.close();
});

interface SlowSender {
  connection: RawHttpConnection;
  opened: number;
  /** Body bytes accepted by the OS before the cut. */
  sent: number;
  cut?: number;
}

/** Complete headers of a valid chat completion, then its body one byte per second until cut. */
async function sendSlowly(url: string, n: number): Promise<SlowSender> {
  const opened = performance.now();
  const connection = await openRawHttp(url);
  connections.push(connection);
  const sender: SlowSender = { connection, opened, sent: 0 };
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `slow-${n}` }] })
    .padEnd(BODY_BYTES, ' ')
    .slice(0, BODY_BYTES);
  await connection.write(
    `POST ${MOUNT}/chat/completions HTTP/1.1\r\nHost: ${new URL(url).host}\r\nOrigin: ${url}\r\n` +
      `Cookie: session=slow\r\nContent-Type: application/json\r\nContent-Length: ${BODY_BYTES}\r\n\r\n`,
  );
  // Bounded: never past the body's end, nor long after the cut was due.
  const deadline = opened + REQUEST_TIMEOUT_MS + CHECK_INTERVAL_MS + 2 * SLACK_MS;
  while (sender.sent < BODY_BYTES - 1 && performance.now() < deadline) {
    if (await connection.write(body[sender.sent]!)) sender.sent++;
    if (await connection.waitForEnd(BYTE_EVERY_MS)) {
      sender.cut = performance.now();
      break;
    }
  }
  return sender;
}

function legitimate(n: number): TrafficRequest {
  if (n % 4 === 0) {
    return {
      method: 'GET',
      path: `${MOUNT}/models`,
      headers: { cookie: 'session=legit' },
      check: (status) => (status === 200 ? undefined : `status ${status}`),
    };
  }
  return {
    method: 'POST',
    path: `${MOUNT}/chat/completions`,
    headers: { cookie: 'session=legit', origin: child.urls.main!, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `legit-${n}` }] }),
    check: (status, text) =>
      status === 200 && (JSON.parse(text) as { object?: string }).object === 'chat.completion'
        ? undefined
        : `status ${status}`,
  };
}

describe('F47: slow request bodies', () => {
  it('F47: 100 bodies at 1 byte/s → each 408 at requestTimeout, no upstream request for any; legitimate traffic served', async () => {
    const url = child.urls.main!;
    const paced = { origin: url, connections: 8, pauseMs: 10, maxRequests: 20_000, next: legitimate };
    // Warm-up (loads undici, compiles the paths), then the machine's noise without slow senders.
    const warm = await generateTraffic({ ...paced, maxRequests: 200, maxMs: 20_000 });
    expect(warm.failures).toEqual([]);
    const quiet = await generateTraffic({ ...paced, maxMs: 2_000 });
    expect(quiet.failures).toEqual([]);
    const legitBefore = upstream.requests.length;

    const senders = Array.from({ length: SOCKETS }, (_, n) => sendSlowly(url, n));
    let sending = true;
    const settled = Promise.all(senders).finally(() => {
      sending = false;
    });
    const legit = await generateTraffic({
      ...paced,
      until: () => !sending,
      maxMs: REQUEST_TIMEOUT_MS + CHECK_INTERVAL_MS + 2 * SLACK_MS + 5_000,
    });
    const done = await settled;

    // Each slow sender: 408 with the relay's JSON error, after several body bytes, at requestTimeout.
    const answers = done.map((sender) => parseRawResponse(sender.connection.received()));
    expect(tally(answers.map((answer) => `${answer.status} ${answer.statusLines}`))).toEqual({
      '408 1': SOCKETS,
    });
    for (const answer of answers) {
      expect((JSON.parse(answer.body ?? '') as { error: { code: string } }).error.code).toBe('body_timeout');
    }
    expect(done.every((sender) => sender.cut !== undefined)).toBe(true);
    expect(Math.min(...done.map((sender) => sender.sent))).toBeGreaterThanOrEqual(3);
    const lifetimes = done.map((sender) => sender.cut! - sender.opened);
    expect(Math.min(...lifetimes)).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 20);
    expect(Math.max(...lifetimes)).toBeLessThan(REQUEST_TIMEOUT_MS + CHECK_INTERVAL_MS + SLACK_MS);

    // No upstream request was opened for an incomplete body: every request the upstream ever received (or
    // had open, even aborted) is a legitimate one, one per legitimate request.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await waitFor(() => upstream.stats().responsesOpen === 0, 'no upstream request left open', 5_000);
    const bodies = upstream.requests.map((request) => `${request.method} ${request.path} ${request.body}`);
    expect(bodies.filter((body) => body.includes('slow-'))).toEqual([]);
    expect(upstream.requests.every((request) => !request.aborted)).toBe(true);
    expect(upstream.requests.length - legitBefore).toBe(legit.sent);

    // Each slow request did reach the relay (its headers were complete) and ended there too: nothing holds
    // on to it, and none got an upstream status.
    await waitFor(
      () => child.events().filter((event) => event.principalId === 'slow').length === SOCKETS,
      'a relay event for every slow request',
      5_000,
    );
    const slowEvents = child.events().filter((event) => event.principalId === 'slow');
    expect(slowEvents.filter((event) => event.upstreamStatus !== undefined || event.status < 400)).toEqual(
      [],
    );

    // Legitimate traffic, with bodies, was served throughout, all of it right, and fast.
    expect(legit.failures).toEqual([]);
    expect(legit.sent).toBeGreaterThanOrEqual(100);
    const p99 = percentile(legit.latencies, 99);
    const quietP99 = percentile(quiet.latencies, 99);
    console.log(
      `F47: ${SOCKETS} slow bodies cut with 408 after ${Math.round(Math.min(...lifetimes))}–` +
        `${Math.round(Math.max(...lifetimes))} ms (requestTimeout ${REQUEST_TIMEOUT_MS} ms), ` +
        `${Math.min(...done.map((s) => s.sent))}–${Math.max(...done.map((s) => s.sent))} body bytes each; ` +
        `relay events for them: ${JSON.stringify(tally(slowEvents.map((e) => `${e.status} ${e.error?.code ?? ''}`)))}; ` +
        `${legit.sent} legitimate requests meanwhile: p50 ${percentile(legit.latencies, 50).toFixed(1)} ms, ` +
        `p99 ${p99.toFixed(1)} ms (${quiet.sent} before, without slow bodies: p99 ${quietP99.toFixed(1)} ms); ` +
        `upstream requests ${upstream.requests.length}, all legitimate`,
    );
    expect(p99).toBeLessThan(Math.max(P99_BOUND_MS, P99_NOISE_FACTOR * quietP99));

    assertNoLeak(
      {
        responses: [
          ...done.map((sender) => sender.connection.received()),
          ...warm.samples,
          ...quiet.samples,
          ...legit.samples,
        ],
        logs: [...child.lines, ...legit.failures],
        upstreamRequests: upstream.requests,
      },
      [key],
    );
  });
});
