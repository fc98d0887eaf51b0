import { assertNoLeak, fakeKey, startUpstream, type Upstream } from '@auth/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from './testing/start-redis-server.ts';
import { type RelayChild, startRelayChild } from './testing/start-relay-child.ts';

/*
 * Two relay processes (`serveRelay` of @auth/node, each with its own Redis stores) in front of one stub
 * upstream, against one real redis-server that the tests stall, kill and restart. Every request sent is
 * accounted for: it gets a status, or the test fails.
 */

const requestsPerMinute = 10;
const maxConcurrentStreams = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  relay: string;
  status: number;
  /** `error.code` of a JSON error body. */
  code: string | undefined;
  retryAfter: string | null;
  body: string;
  ms: number;
}

describe('two relay processes sharing one Redis', () => {
  const key = fakeKey('project');
  let redis: RedisServer;
  let upstream: Upstream;
  let relays: RelayChild[] = [];
  // Everything a test captured, scanned for the key at its end.
  let responses: unknown[];
  let failures: unknown[];
  let sent: number;
  let answered: number;

  beforeAll(async () => {
    [redis, upstream] = await Promise.all([startRedisServer(), startUpstream({ expectedKey: key })]);
    const env = {
      REDIS_URL: redis.url,
      OPENAI_API_KEY: key,
      OPENAI_BASE_URL: upstream.url,
      RELAY_REQUESTS_PER_MINUTE: String(requestsPerMinute),
      RELAY_MAX_CONCURRENT_STREAMS: String(maxConcurrentStreams),
    };
    relays = await Promise.all([startRelayChild(env), startRelayChild(env)]);
    // The first request of a process loads its upstream client and resolves its credentials: done here, so
    // that the timings measured below are the relay's, not a cold start's.
    await Promise.all(
      relays.flatMap((relay) =>
        [relay.closed, relay.open].map(async (origin) => {
          const response = await fetch(`${origin}/models`, {
            headers: { 'x-principal': `warm-up ${origin}` },
          });
          await response.body?.cancel();
          if (response.status !== 200) throw new Error(`warm-up: ${response.status}`);
        }),
      ),
    );
  }, 20_000);

  afterAll(async () => {
    const codes = await Promise.all(relays.map((relay) => relay.stop()));
    await Promise.allSettled([upstream?.close(), redis?.stop()]);
    // A clean shutdown: relays and Redis clients closed, exit 0.
    expect(codes).toEqual(relays.map(() => 0));
  });

  beforeEach(() => {
    responses = [];
    failures = [];
    sent = 0;
    answered = 0;
  });

  /** One request through a relay; every request is counted, and a missing answer fails the test. */
  async function send(
    relay: string,
    path: string,
    principal: string,
    options: { stream?: boolean; viaCookie?: boolean } = {},
  ): Promise<Answer> {
    sent++;
    const started = performance.now();
    const headers: Record<string, string> = options.viaCookie
      ? { cookie: `theme=dark; principal=${principal}` }
      : { 'x-principal': principal };
    const init: RequestInit = { headers, signal: AbortSignal.timeout(10_000) };
    if (options.stream) {
      init.method = 'POST';
      Object.assign(headers, { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' });
      init.body = JSON.stringify({
        model: 'gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'Hello' }],
      });
    }
    try {
      const response = await fetch(`${relay}${path}`, init);
      const ms = performance.now() - started;
      const body = await response.text();
      answered++;
      responses.push(response, body);
      let code: string | undefined;
      if (response.headers.get('content-type')?.includes('application/json')) {
        code = (JSON.parse(body) as { error?: { code?: string } }).error?.code;
      }
      return {
        relay,
        status: response.status,
        code,
        retryAfter: response.headers.get('retry-after'),
        body,
        ms,
      };
    } catch (error) {
      failures.push(error);
      throw error;
    }
  }

  /** The end of every test: no request without an answer, and the key nowhere but upstream's Authorization. */
  function expectAccountedAndNoLeak(): void {
    expect(failures).toEqual([]);
    expect(answered).toBe(sent);
    assertNoLeak(
      {
        responses,
        logs: relays.flatMap((relay) => [relay.stdout, relay.stderr]),
        errors: failures,
        upstreamRequests: upstream.requests,
      },
      [key],
    );
    for (const relay of relays) expect(relay.stderr).toBe('');
  }

  it('a principal allowed N requests per minute gets N in total across both processes, not 2N', async () => {
    const before = upstream.requests.length;
    const answers: Answer[] = [];
    // Alternating between the processes, by header and by cookie: one principal, one budget.
    for (let i = 0; i < 3 * requestsPerMinute; i++) {
      const relay = relays[i % 2]!.closed;
      answers.push(await send(relay, '/models', 'alice', { viaCookie: i % 3 === 0 }));
    }
    expect(answers.slice(0, requestsPerMinute).map((answer) => answer.status)).toEqual(
      Array(requestsPerMinute).fill(200),
    );
    const refused = answers.slice(requestsPerMinute);
    expect(refused.map((answer) => [answer.status, answer.code])).toEqual(
      Array(2 * requestsPerMinute).fill([429, 'rate_limited']),
    );
    for (const answer of refused) {
      // The next request fits 60/N s after the burst began, at most.
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(answer.retryAfter)).toBeLessThanOrEqual(60 / requestsPerMinute);
    }
    expect(new Set(refused.map((answer) => answer.relay)).size).toBe(2);
    expect(upstream.requests.length - before).toBe(requestsPerMinute);
    // Another principal has a budget of its own.
    expect((await send(relays[1]!.closed, '/models', 'alice-2')).status).toBe(200);
    expectAccountedAndNoLeak();
  });

  it('the concurrent-stream cap is shared by both processes, and slots come back when streams end', async () => {
    const inspect = new Redis(redis.url, { enableOfflineQueue: false, lazyConnect: true });
    await inspect.connect();
    upstream.setDefault({ type: 'sse', chunks: 6, delayMs: 250 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          send(relays[i % 2]!.closed, '/chat/completions', 'bob', { stream: true }),
        ),
      );
      const streamed = answers.filter((answer) => answer.status === 200);
      expect(streamed).toHaveLength(maxConcurrentStreams);
      for (const answer of streamed) expect(answer.body).toContain('data: [DONE]');
      const refused = answers.filter((answer) => answer.status !== 200);
      expect(refused.map((answer) => [answer.status, answer.code])).toEqual(
        Array(6 - maxConcurrentStreams).fill([429, 'too_many_streams']),
      );
      // The relay releases after the last byte, asynchronously: wait (bounded) for the set to empty.
      let held = -1;
      for (let tries = 0; tries < 50; tries++) {
        held = await inspect.zcard('openai-relay:streams:bob');
        if (held === 0) break;
        await sleep(20);
      }
      expect(held).toBe(0);
      upstream.setDefault(undefined);
      for (const relay of relays) {
        expect((await send(relay.closed, '/chat/completions', 'bob', { stream: true })).status).toBe(200);
      }
    } finally {
      upstream.setDefault(undefined);
      inspect.disconnect();
    }
    expectAccountedAndNoLeak();
  });

  it('Redis stalled: the relays answer 503 within the store deadline, never hang; resumed: 200 again', async () => {
    for (const relay of relays) expect((await send(relay.closed, '/models', 'carol')).status).toBe(200);
    redis.pause();
    let closed: Answer[];
    let open: Answer[];
    try {
      [closed, open] = await Promise.all([
        Promise.all(relays.flatMap((relay) => [1, 2, 3].map(() => send(relay.closed, '/models', 'carol')))),
        Promise.all(relays.map((relay) => send(relay.open, '/models', 'carol'))),
      ]);
    } finally {
      redis.resume();
    }
    for (const answer of closed) {
      expect([answer.status, answer.code]).toEqual([503, 'rate_limit_unavailable']);
      // The store's default deadline is 500 ms; the rest is the relay and the loopback.
      expect(answer.ms).toBeLessThan(1_500);
    }
    for (const answer of open) expect(answer.status).toBe(200);
    const started = performance.now();
    for (const relay of relays) {
      let status = 0;
      for (let tries = 0; tries < 50 && status !== 200; tries++) {
        status = (await send(relay.closed, '/models', 'carol-again')).status;
        if (status !== 200) await sleep(20);
      }
      expect(status).toBe(200);
    }
    const recovered = performance.now() - started;
    expect(recovered).toBeLessThan(1_000);
    console.info(
      `[measured] stalled Redis: 503 after at most ${Math.max(...closed.map((a) => a.ms)).toFixed(0)} ms, ` +
        `fail-open 200 after at most ${Math.max(...open.map((a) => a.ms)).toFixed(0)} ms; ` +
        `200 again ${recovered.toFixed(0)} ms after SIGCONT`,
    );
    expectAccountedAndNoLeak();
  });

  it('Redis killed: fail-closed relays answer 503 at once, fail-open ones 200; restarted: 200 within 1 s', async () => {
    for (const relay of relays) expect((await send(relay.closed, '/models', 'dave')).status).toBe(200);
    // Requests in flight while Redis dies still get an answer, one way or the other.
    const inFlight = Promise.all(
      Array.from({ length: 8 }, (_, i) => send(relays[i % 2]!.closed, '/models', `dave-${i}`)),
    );
    await redis.kill();
    const during = await inFlight;
    for (const answer of during) expect([200, 503]).toContain(answer.status);

    const closed: Answer[] = [];
    for (let i = 0; i < 5; i++) {
      for (const relay of relays) closed.push(await send(relay.closed, '/models', 'dave'));
    }
    for (const answer of closed) {
      expect([answer.status, answer.code]).toEqual([503, 'rate_limit_unavailable']);
      expect(answer.ms).toBeLessThan(1_000);
    }
    const open = await Promise.all(relays.map((relay) => send(relay.open, '/models', 'dave')));
    for (const answer of open) expect(answer.status).toBe(200);

    await redis.start();
    const restarted = performance.now();
    const recovered: number[] = [];
    for (const relay of relays) {
      let status = 0;
      for (let tries = 0; tries < 100 && status !== 200; tries++) {
        status = (await send(relay.closed, '/models', 'erin')).status;
        if (status !== 200) await sleep(10);
      }
      expect(status).toBe(200);
      recovered.push(performance.now() - restarted);
    }
    expect(Math.max(...recovered)).toBeLessThan(1_000);
    console.info(
      `[measured] killed Redis: 503 in ${Math.min(...closed.map((a) => a.ms)).toFixed(1)}–` +
        `${Math.max(...closed.map((a) => a.ms)).toFixed(1)} ms; both relays 200 again ` +
        `${recovered.map((ms) => ms.toFixed(0)).join(' and ')} ms after the restart; ${sent} requests, ${answered} answers`,
    );
    expectAccountedAndNoLeak();
  });
});
