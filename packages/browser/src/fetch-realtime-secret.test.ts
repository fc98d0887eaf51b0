import { assertNoLeak, fakeKey } from '@auth/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchRealtimeSecret, type RealtimeSecretOptions } from './fetch-realtime-secret.ts';
import { RelayError, type RelayErrorCode } from './relay-error.ts';
import { type FakeRelay, startFakeRelay } from './testing/start-fake-relay.ts';
import { until } from './testing/until.ts';
import { writeRelayError } from './testing/write-relay-error.ts';

const relays: FakeRelay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
});

async function fakeRelay(): Promise<FakeRelay> {
  const relay = await startFakeRelay();
  relays.push(relay);
  return relay;
}

async function failure(options: RealtimeSecretOptions, code: RelayErrorCode): Promise<RelayError> {
  try {
    await fetchRealtimeSecret(options);
  } catch (error) {
    expect(RelayError.is(error), String(error)).toBe(true);
    expect((error as RelayError).code).toBe(code);
    return error as RelayError;
  }
  throw new Error('expected a rejection');
}

function answerJson(relay: FakeRelay, status: number, body: string, type = 'application/json'): void {
  relay.reply((_, res) => res.writeHead(status, { 'content-type': type }).end(body));
}

describe('fetchRealtimeSecret', () => {
  it('mints an ek_ secret through the relay with the asked TTL and session; the server key stays there', async () => {
    const relay = await fakeRelay();
    const before = Date.now();
    const secret = await fetchRealtimeSecret({
      relayURL: relay.url,
      fetch: relay.browserFetch(),
      ttlSeconds: 300,
      session: { type: 'realtime', model: 'gpt-realtime' },
    });
    expect(secret.value.startsWith('ek_')).toBe(true);
    expect(secret.expiresAt).toBeInstanceOf(Date);
    expect(secret.expiresAt.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 299_000);
    expect(secret.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 301_000);
    const [request] = relay.requests;
    expect(`${request?.method} ${request?.path}`).toBe('POST /api/openai/realtime/client_secrets');
    expect(request?.headers['content-type']).toEqual(['application/json']);
    expect(request?.headers.authorization).toBeUndefined();
    expect(JSON.parse(request?.body ?? '')).toEqual({
      expires_after: { anchor: 'created_at', seconds: 300 },
      session: { type: 'realtime', model: 'gpt-realtime' },
    });
    assertNoLeak({ values: [secret], foreignRequests: relay.requests }, [relay.serverKey]);
  });

  it('sends an empty body when nothing is asked, so the relay applies its defaults', async () => {
    const relay = await fakeRelay();
    await fetchRealtimeSecret({ relayURL: relay.url, fetch: relay.browserFetch() });
    expect(relay.requests[0]?.body).toBe('{}');
  });

  it('E45: re-authenticates once on 401, then mints', async () => {
    const relay = await fakeRelay();
    relay.sessions.clear();
    let calls = 0;
    const secret = await fetchRealtimeSecret({
      relayURL: relay.url,
      fetch: relay.browserFetch(),
      onUnauthorized: async () => {
        calls += 1;
        relay.sessions.add(relay.session);
        return true;
      },
    });
    expect(secret.value.startsWith('ek_')).toBe(true);
    expect(calls).toBe(1);
  });

  it('E45: a persisting 401 is unauthorized; a long 429 is rate_limited with the wait', async () => {
    const relay = await fakeRelay();
    relay.sessions.clear();
    await failure({ relayURL: relay.url, fetch: relay.browserFetch() }, 'unauthorized');
    relay.sessions.add(relay.session);
    relay.reply((_, res) => {
      res.setHeader('retry-after', '60');
      writeRelayError(res, 429, 'Too many secrets.', 'rate_limited');
    });
    const error = await failure({ relayURL: relay.url, fetch: relay.browserFetch() }, 'rate_limited');
    expect(error.retryAfterMs).toBe(60_000);
  });

  it('refuses a secret key answered by a misconfigured relay (browser_exposure), without quoting it', async () => {
    const relay = await fakeRelay();
    const key = fakeKey('project');
    answerJson(relay, 200, JSON.stringify({ value: key, expires_at: 1 }));
    const error = await failure({ relayURL: relay.url, fetch: relay.browserFetch() }, 'browser_exposure');
    assertNoLeak({ errors: [error] }, [key]);
  });

  it.each([
    ['a 500 with an HTML page', 500, '<html>proxy error</html>', 'text/html'],
    [
      'a 403 in the relay shape',
      403,
      '{"error":{"message":"Route not allowed","type":"x","code":"forbidden"}}',
    ],
    ['a 200 that is no JSON', 200, 'ok'],
    ['a 200 without expires_at', 200, '{"value":"ek_abc"}'],
    ['a 200 with a value that is no ek_', 200, '{"value":"abc","expires_at":1}'],
    ['a 200 with a value that is no string', 200, '{"value":["ek_abc"],"expires_at":1}'],
  ])('answers relay_error with the status for %s', async (_, status, body, type = 'application/json') => {
    const relay = await fakeRelay();
    answerJson(relay, status, body, type);
    const error = await failure({ relayURL: relay.url, fetch: relay.browserFetch() }, 'relay_error');
    expect(error.status).toBe(status);
  });

  it('E45: aborting rejects with aborted, and the relay sees the disconnect', async () => {
    const relay = await fakeRelay();
    relay.reply(() => {}); // never answers
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(
      { relayURL: relay.url, fetch: relay.browserFetch(), signal: controller.signal },
      'aborted',
    );
    expect((error.cause as Error).name).toBe('AbortError');
    await until(() => relay.requests[0]?.aborted === true);
  });

  it('an unreachable relay is network_error', async () => {
    const relay = await startFakeRelay();
    await relay.close();
    await failure({ relayURL: relay.url }, 'network_error');
  });

  it('E43: refuses an apiKey option and key-shaped options before any request', async () => {
    const relay = await fakeRelay();
    const key = fakeKey('service_account');
    const errors = [
      await failure({ relayURL: relay.url, apiKey: key } as RealtimeSecretOptions, 'browser_exposure'),
      await failure({ relayURL: relay.url, session: { instructions: `use ${key}` } }, 'browser_exposure'),
    ];
    expect(relay.requests).toEqual([]);
    assertNoLeak({ errors }, [key]);
  });
});
