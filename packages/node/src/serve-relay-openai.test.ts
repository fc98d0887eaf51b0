import { assertNoLeak, fakeKey, startUpstream } from '@auth/testkit';
import OpenAI7 from 'openai';
import OpenAI6 from 'openai-v6';
import { afterEach, describe, expect, it } from 'vitest';
import { createResolver, serveRelay } from './index.ts';
import { scopedEnv } from './testing/scoped-env.ts';

/*
 * The official SDK as a browser app would use it, pointed at serveRelay: no key, only the app's session
 * cookie (and the Origin a browser adds). Everything must pass through untouched, and the upstream must see
 * the server's key alone.
 */

const env = scopedEnv();
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  env.restore();
});

type Options = ConstructorParameters<typeof OpenAI7>[0] & ConstructorParameters<typeof OpenAI6>[0];
// One type for both majors: the calls made here have the same shape in 6.x and 7.x.
const clients: [string, (options: Options) => OpenAI7][] = [
  ['openai 7.59', (options) => new OpenAI7(options)],
  ['openai 6.49', (options) => new OpenAI6(options) as unknown as OpenAI7],
];

describe('serveRelay with the official openai SDK', () => {
  for (const [name, createClient] of clients) {
    it(`${name}: models.list, a chat completion and a stream pass through; upstream sees exactly one Authorization: Bearer <server key>`, async () => {
      const key = fakeKey('project');
      const upstream = await startUpstream({ expectedKey: key });
      cleanups.push(() => upstream.close());
      const relay = await serveRelay({
        resolver: createResolver({ apiKey: key, baseURL: upstream.url, organization: null, project: null }),
        authorize: (request) =>
          /(?:^|; )session=alice(?:;|$)/.test(request.headers.get('cookie') ?? '') ? { id: 'alice' } : null,
        mountPath: '/api/openai',
      });
      cleanups.push(() => relay.close());
      const client = createClient({
        // The SDK insists on a key; the relay drops whatever Authorization a browser sends.
        apiKey: 'no-key-in-the-browser',
        baseURL: `${relay.url}/api/openai`,
        defaultHeaders: { cookie: 'session=alice', origin: relay.url },
        maxRetries: 0,
      });

      const models = await client.models.list();
      expect(models.data.map((model) => model.id)).toContain('gpt-4o-mini');
      const completion = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Say hello' }],
      });
      expect(completion.choices[0]?.message.content).toBe('Hello from the stub upstream.');
      expect(completion.usage?.total_tokens).toBeGreaterThan(0);
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Say hello' }],
        stream: true,
      });
      const parts: string[] = [];
      const chunks: unknown[] = [];
      for await (const chunk of stream) {
        chunks.push(chunk);
        parts.push(chunk.choices[0]?.delta.content ?? '');
      }
      expect(parts.join('')).toBe('Hello from');
      expect(chunks.length).toBe(3);

      // A session the app does not know: the SDK gets the relay's 401 as its own AuthenticationError.
      const stranger = createClient({
        apiKey: 'no-key-in-the-browser',
        baseURL: `${relay.url}/api/openai`,
        defaultHeaders: { cookie: 'session=mallory', origin: relay.url },
        maxRetries: 0,
      });
      const refused = await stranger.models.list().catch((error: unknown) => error);
      expect((refused as { status?: number }).status).toBe(401);

      expect(upstream.requests).toHaveLength(3);
      for (const sent of upstream.requests) {
        expect(sent.headers.authorization).toEqual([`Bearer ${key}`]);
        expect(sent.headers.cookie).toBeUndefined();
        expect(sent.headers.origin).toBeUndefined();
      }
      assertNoLeak(
        {
          responses: [models, completion, chunks, refused],
          errors: [refused],
          values: [client],
          upstreamRequests: upstream.requests,
        },
        [key],
      );
    });
  }
});
