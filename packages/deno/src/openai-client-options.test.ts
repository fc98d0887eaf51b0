import assert from 'node:assert/strict';
import { assertNoLeak, fakeKey, fakeOrgId, fakeProjectId, startUpstream, type Upstream } from '@auth/testkit';
import OpenAI from 'openai';
import OpenAIv6 from 'openai-v6';
import { withEnv } from '../test/with-env.ts';
import { AuthError, openaiClientOptions } from './index.ts';

/*
 * The official SDK on Deno, against the testkit's stub API on 127.0.0.1: what goes on the wire is exactly one
 * `Authorization: Bearer <key>`, the organization and project only when set, and no key anywhere else.
 */

/** What the cases use of a client, so that both major versions of the SDK fit one type. */
interface Client {
  models: { list(): PromiseLike<AsyncIterable<{ id: string }>> };
  chat: {
    completions: {
      create(body: {
        model: string;
        messages: { role: 'user'; content: string }[];
        stream: true;
      }): PromiseLike<AsyncIterable<{ choices: { delta: { content?: string | null } }[] }>>;
    };
  };
}
const sdks: readonly (readonly [string, (options: ReturnType<typeof openaiClientOptions>) => Client])[] = [
  ['openai 7.59', (options) => new OpenAI(options)],
  ['openai 6.49', (options) => new OpenAIv6(options)],
];

const clean = {
  OPENAI_API_KEY: undefined,
  OPENAI_ORG_ID: undefined,
  OPENAI_PROJECT_ID: undefined,
  OPENAI_BASE_URL: undefined,
  OPENAI_API_KEY_FILE: undefined,
  OPENAI_ORG_ID_FILE: undefined,
  OPENAI_PROJECT_ID_FILE: undefined,
  OPENAI_ADMIN_KEY: undefined,
};

async function withUpstream(
  body: (upstream: Upstream) => Promise<void>,
  expectedKey?: string,
): Promise<void> {
  const upstream = await startUpstream(expectedKey === undefined ? {} : { expectedKey });
  try {
    await body(upstream);
  } finally {
    await upstream.close();
  }
}

/** Lists models and streams a chat completion; returns what a program would print. */
async function exercise(client: Client): Promise<{ models: string[]; text: string }> {
  const models: string[] = [];
  for await (const model of await client.models.list()) models.push(model.id);
  const stream = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Say hello' }],
    stream: true,
  });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return { models, text };
}

function single(upstream: Upstream, index: number, name: string): string[] {
  return upstream.requests[index]?.headers[name] ?? [];
}

for (const [sdk, create] of sdks) {
  Deno.test(`${sdk}: key, organization and project from Deno.env reach the wire once each, per request`, async () => {
    const key = fakeKey('project');
    const organization = fakeOrgId();
    const project = fakeProjectId();
    await withUpstream(async (upstream) => {
      await withEnv(
        {
          ...clean,
          OPENAI_API_KEY: key,
          OPENAI_ORG_ID: organization,
          OPENAI_PROJECT_ID: project,
          OPENAI_BASE_URL: upstream.url,
        },
        async () => {
          const options = openaiClientOptions();
          const client = create(options);
          const { models, text } = await exercise(client);
          assert.ok(models.includes('gpt-4o-mini'));
          assert.equal(text, 'Hello from');
          assert.equal(upstream.requests.length, 2);
          for (const [index, request] of upstream.requests.entries()) {
            assert.equal(single(upstream, index, 'authorization').length, 1, 'exactly one Authorization');
            assert.ok(single(upstream, index, 'authorization')[0] === `Bearer ${key}`, 'exact wire format');
            assert.deepEqual(single(upstream, index, 'openai-organization'), [organization]);
            assert.deepEqual(single(upstream, index, 'openai-project'), [project]);
            assert.deepEqual(request.headers['x-stainless-runtime'], ['deno'], 'the SDK ran as Deno');
          }
          assert.equal(upstream.requests[1]?.path, '/v1/chat/completions');
          assertNoLeak(
            { upstreamRequests: upstream.requests, logs: [text, models.join()], values: [options, client] },
            [key],
          );
        },
      );
    }, key);
  });

  Deno.test(`${sdk}: organization and project absent when unset; null keeps the SDK from reading the env`, async () => {
    const key = fakeKey('service_account');
    await withUpstream(async (upstream) => {
      await withEnv(
        { ...clean, OPENAI_ORG_ID: fakeOrgId(), OPENAI_PROJECT_ID: fakeProjectId() },
        async () => {
          const client = create(
            openaiClientOptions({ apiKey: key, organization: null, project: null, baseURL: upstream.url }),
          );
          await exercise(client);
          for (const request of upstream.requests) {
            assert.equal(request.headers['openai-organization'], undefined);
            assert.equal(request.headers['openai-project'], undefined);
            assert.ok(request.headers.authorization?.[0] === `Bearer ${key}`);
          }
          assertNoLeak({ upstreamRequests: upstream.requests }, [key]);
        },
      );
    });
  });

  Deno.test(`${sdk}: a rotated key after a 401 invalid_api_key is fetched once and the call succeeds`, async () => {
    const keys = [fakeKey('project'), fakeKey('project')];
    let loads = 0;
    await withUpstream(async (upstream) => {
      upstream.reply({ type: 'auth_error', code: 'invalid_api_key' });
      await withEnv(clean, async () => {
        const client = create(
          openaiClientOptions({ baseURL: upstream.url, provider: async () => keys[loads++ % 2] }),
        );
        const { models } = await exercise(client);
        assert.ok(models.length > 0);
        assert.equal(loads, 2);
        assert.ok(
          upstream.requests[1]?.headers.authorization?.[0] === `Bearer ${keys[1]}`,
          'retried with the new key',
        );
        assertNoLeak({ upstreamRequests: upstream.requests }, keys);
      });
    });
  });

  Deno.test(`${sdk}: the SDK's error for a rejected key holds no key material`, async () => {
    const key = fakeKey('project');
    await withUpstream(async (upstream) => {
      upstream.setDefault({ type: 'auth_error', code: 'invalid_api_key' });
      await withEnv(clean, async () => {
        const client = create({ ...openaiClientOptions({ apiKey: key, baseURL: upstream.url }) });
        let caught: unknown;
        try {
          await client.models.list();
        } catch (error) {
          caught = error;
        }
        assert.equal((caught as { status?: number })?.status, 401);
        assertNoLeak({ errors: [caught], upstreamRequests: upstream.requests }, [key]);
      });
    });
  });
}

Deno.test('openaiClientOptions: baseURL from the option, then OPENAI_BASE_URL, then the default; http only on loopback', async () => {
  await withEnv(clean, async () => {
    assert.equal(openaiClientOptions().baseURL, 'https://api.openai.com/v1');
    assert.equal(openaiClientOptions({ baseURL: 'http://127.0.0.1:9/v1/' }).baseURL, 'http://127.0.0.1:9/v1');
    await withEnv({ OPENAI_BASE_URL: 'https://gateway.example.com/openai/v1' }, async () => {
      assert.equal(openaiClientOptions().baseURL, 'https://gateway.example.com/openai/v1');
      assert.equal(openaiClientOptions({ baseURL: null }).baseURL, 'https://api.openai.com/v1');
    });
    assert.throws(
      () => openaiClientOptions({ baseURL: 'http://gateway.example.com/v1' }),
      (error) => AuthError.is(error) && error.code === 'invalid_base_url',
    );
    const options = openaiClientOptions();
    assert.equal(options.organization, null);
    assert.equal(options.project, null);
    assert.equal(options.adminAPIKey, null);
    assert.doesNotMatch(options.apiKey, /^sk-|^ek_/);
  });
});
