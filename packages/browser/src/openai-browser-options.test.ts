import { assertNoLeak, fakeKey, fakeOrgId, fakeProjectId, findKeyShapes } from '@auth/testkit';
import OpenAI7 from 'openai';
import OpenAI6 from 'openai-v6';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OpenAIBrowserOptionsInput, openaiBrowserOptions } from './openai-browser-options.ts';
import { RelayError } from './relay-error.ts';
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

// A bundler that fills `process.env` (or a server-rendered page) could hand the SDK these: none may be used.
const envNames = [
  'OPENAI_API_KEY',
  'OPENAI_ADMIN_KEY',
  'OPENAI_ORG_ID',
  'OPENAI_PROJECT_ID',
  'OPENAI_BASE_URL',
];
const envKeys = { user: fakeKey('project'), admin: fakeKey('admin') };
let savedEnv: Record<string, string | undefined> = {};
beforeEach(() => {
  savedEnv = Object.fromEntries(envNames.map((name) => [name, process.env[name]]));
  Object.assign(process.env, {
    OPENAI_API_KEY: envKeys.user,
    OPENAI_ADMIN_KEY: envKeys.admin,
    OPENAI_ORG_ID: fakeOrgId(),
    OPENAI_PROJECT_ID: fakeProjectId(),
    OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
  });
});
afterEach(() => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

// Both majors users have: 7.x and 6.x (the newest declaring Node 20). Each constructor type-checks the options
// against its own major; the calls below are typed with 7's API, which 6 shares for everything used here.
type Options = ConstructorParameters<typeof OpenAI7>[0] & ConstructorParameters<typeof OpenAI6>[0];
const sdks: [string, (options: Options) => OpenAI7][] = [
  ['openai 7.59.0', (options) => new OpenAI7(options)],
  ['openai 6.49.0', (options) => new OpenAI6(options) as unknown as OpenAI7],
];

describe('openaiBrowserOptions', () => {
  it('gives the relay as baseURL, a placeholder apiKey that is no key, no org/project, and the relay fetch', () => {
    const options = openaiBrowserOptions({ relayURL: 'https://app.example.test/api/openai/' });
    expect(options).toMatchObject({
      baseURL: 'https://app.example.test/api/openai',
      adminAPIKey: null,
      organization: null,
      project: null,
      defaultHeaders: { Authorization: null },
      dangerouslyAllowBrowser: true,
    });
    expect(typeof options.fetch).toBe('function');
    expect(options.apiKey.length).toBeGreaterThan(0);
    expect(findKeyShapes(options.apiKey)).toEqual([]);
  });

  it('E43: refuses an apiKey option and key-shaped values (browser_exposure)', () => {
    const key = fakeKey('project');
    const attempts = [
      { relayURL: '/api/openai', apiKey: key },
      { relayURL: '/api/openai', apiKey: 'not-a-key' },
      { relayURL: `https://app.example.test/${key}` },
    ];
    const errors = attempts.map((options) => {
      try {
        openaiBrowserOptions(options as OpenAIBrowserOptionsInput);
      } catch (error) {
        return error;
      }
      throw new Error('expected a throw');
    });
    for (const error of errors) expect(RelayError.is(error) && error.code).toBe('browser_exposure');
    assertNoLeak({ errors }, [key]);
  });
});

describe.each(sdks)('openaiBrowserOptions with the official SDK (%s) against a relay', (_, createClient) => {
  it('E44: lists models and streams a chat completion; the relay never sees Authorization, a key, org or project', async () => {
    const relay = await fakeRelay();
    const client = createClient(openaiBrowserOptions({ relayURL: relay.url, fetch: relay.browserFetch() }));
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toContain('gpt-4o-mini');
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Say hello' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from');
    expect(relay.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'GET /api/openai/models',
      'POST /api/openai/chat/completions',
    ]);
    for (const request of relay.requests) {
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers['openai-organization']).toBeUndefined();
      expect(request.headers['openai-project']).toBeUndefined();
      expect(request.headers.cookie).toEqual([`session=${relay.session}`]);
      expect(findKeyShapes(request.rawHeaders.join('\n'))).toEqual([]);
    }
    // Everything the browser side sent or got is free of the server's key and of the env's keys.
    assertNoLeak({ foreignRequests: relay.requests, values: [client, models], logs: [text] }, [
      relay.serverKey,
      envKeys.user,
      envKeys.admin,
    ]);
  });

  it('E45: a 401 (session expired) runs onUnauthorized once and the request succeeds on the retry', async () => {
    const relay = await fakeRelay();
    relay.sessions.clear();
    let calls = 0;
    const client = createClient(
      openaiBrowserOptions({
        relayURL: relay.url,
        fetch: relay.browserFetch(),
        onUnauthorized: async () => {
          calls += 1;
          relay.sessions.add(relay.session);
          return true;
        },
      }),
    );
    const models = await client.models.list();
    expect(models.data.length).toBeGreaterThan(0);
    expect(calls).toBe(1);
    expect(relay.requests).toHaveLength(2);
  });

  it("E45: a 401 that persists becomes the SDK's AuthenticationError, without retry storms", async () => {
    const relay = await fakeRelay();
    relay.sessions.clear();
    let calls = 0;
    const client = createClient(
      openaiBrowserOptions({
        relayURL: relay.url,
        fetch: relay.browserFetch(),
        onUnauthorized: async () => {
          calls += 1;
          return true;
        },
      }),
    );
    const error = await client.models.list().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((error as Error).constructor.name).toBe('AuthenticationError');
    expect((error as { status?: number }).status).toBe(401);
    expect(calls).toBe(1);
    expect(relay.requests).toHaveLength(2);
  });

  it('E45: 429s are retried by the SDK alone (honouring Retry-After), never doubled by the relay fetch', async () => {
    const relay = await fakeRelay();
    for (let i = 0; i < 3; i++) {
      relay.reply((_, res) => {
        res.setHeader('retry-after', '0');
        writeRelayError(res, 429, 'Too many requests.', 'rate_limited');
      });
    }
    const client = createClient({
      ...openaiBrowserOptions({ relayURL: relay.url, fetch: relay.browserFetch() }),
      maxRetries: 1,
    });
    const error = await client.models.list().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((error as Error).constructor.name).toBe('RateLimitError');
    expect((error as { status?: number }).status).toBe(429);
    expect(relay.requests).toHaveLength(2);
  });

  it('E45: aborting a stream (component unmount) cancels it and the relay sees the disconnect', async () => {
    const relay = await fakeRelay();
    relay.upstream.reply({ type: 'sse', chunks: 50, delayMs: 50 });
    const client = createClient(openaiBrowserOptions({ relayURL: relay.url, fetch: relay.browserFetch() }));
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Count' }], stream: true },
      { signal: controller.signal },
    );
    // The SDK ends the iteration quietly on its own abort, as a component unmount wants.
    let chunks = 0;
    for await (const _chunk of stream) {
      chunks += 1;
      controller.abort();
    }
    expect(chunks).toBeLessThan(5);
    await until(() => relay.requests[0]?.aborted === true && relay.upstream.requests[0]?.aborted === true);
  });
});
