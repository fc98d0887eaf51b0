import { assertNoLeak, fakeKey, fakeOrgId, fakeProjectId, startUpstream, type Upstream } from '@auth/testkit';
import OpenAI7 from 'openai';
import OpenAI6 from 'openai-v6';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, createResolver, openaiClientOptions } from './index.ts';
import { scopedEnv } from './testing/scoped-env.ts';

const env = scopedEnv();
const servers: Upstream[] = [];
afterEach(async () => {
  env.restore();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function upstream(options: Parameters<typeof startUpstream>[0] = {}): Promise<Upstream> {
  const server = await startUpstream(options);
  servers.push(server);
  return server;
}

// Both majors users have: 7.x (declares Node 22, runs on 20) and 6.x (the newest declaring Node 20). Each
// constructor type-checks the options against its own major; the calls below are typed with 7's API, which
// 6 shares for everything used here.
type Options = ConstructorParameters<typeof OpenAI7>[0] & ConstructorParameters<typeof OpenAI6>[0];
const sdks: [string, (options: Options) => OpenAI7][] = [
  ['openai 7.59.0', (options) => new OpenAI7(options)],
  ['openai 6.49.0', (options) => new OpenAI6(options) as unknown as OpenAI7],
];

describe.each(sdks)('openaiClientOptions with the official SDK (%s)', (_, createClient) => {
  it('lists models and streams a chat completion; upstream sees one Bearer header and no org/project', async () => {
    const key = fakeKey('project');
    const api = await upstream({ expectedKey: key });
    env.set({ OPENAI_API_KEY: key });
    const client = createClient(openaiClientOptions({ baseURL: api.url }));
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
    expect(api.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'GET /v1/models',
      'POST /v1/chat/completions',
    ]);
    for (const request of api.requests) {
      expect(request.headers.authorization?.length).toBe(1);
      expect(request.headers.authorization?.[0] === `Bearer ${key}`).toBe(true);
      expect(request.headers['openai-organization']).toBeUndefined();
      expect(request.headers['openai-project']).toBeUndefined();
    }
    assertNoLeak({ upstreamRequests: api.requests, values: [client, models], logs: [text] }, [key]);
  });

  it('sends OpenAI-Organization and OpenAI-Project once each when set', async () => {
    const key = fakeKey('service_account');
    const organization = fakeOrgId();
    const project = fakeProjectId();
    const api = await upstream({ expectedKey: key });
    env.set({ OPENAI_API_KEY: key, OPENAI_ORG_ID: organization });
    const client = createClient(openaiClientOptions({ baseURL: api.url, project }));
    await client.models.list();
    const [request] = api.requests;
    expect(request?.headers['openai-organization']).toEqual([organization]);
    expect(request?.headers['openai-project']).toEqual([project]);
    assertNoLeak({ upstreamRequests: api.requests }, [key]);
  });

  it('A8: explicit null keeps OPENAI_ORG_ID/OPENAI_PROJECT_ID out; the SDK does not read them either', async () => {
    const key = fakeKey('project');
    const api = await upstream({ expectedKey: key });
    env.set({ OPENAI_API_KEY: key, OPENAI_ORG_ID: fakeOrgId(), OPENAI_PROJECT_ID: fakeProjectId() });
    const client = createClient(openaiClientOptions({ baseURL: api.url, organization: null, project: null }));
    await client.models.list();
    expect(api.requests[0]?.headers['openai-organization']).toBeUndefined();
    expect(api.requests[0]?.headers['openai-project']).toBeUndefined();
  });

  it('key rotation: after invalidate the provider gives a new key and the next request uses it', async () => {
    const keys = [fakeKey('project'), fakeKey('project')];
    let loads = 0;
    const api = await upstream();
    const resolver = createResolver({ provider: async () => keys[loads++] });
    const client = createClient(openaiClientOptions({ resolver, baseURL: api.url }));
    await client.models.list();
    resolver.invalidate();
    await client.models.list();
    expect(loads).toBe(2);
    expect(api.requests[0]?.headers.authorization?.[0] === `Bearer ${keys[0]}`).toBe(true);
    expect(api.requests[1]?.headers.authorization?.[0] === `Bearer ${keys[1]}`).toBe(true);
    assertNoLeak({ upstreamRequests: api.requests, values: [client] }, keys);
  });

  it('C20: a revoked key (401 invalid_api_key) is replaced within the same SDK call', async () => {
    const keys = [fakeKey('project'), fakeKey('project')] as const;
    let loads = 0;
    const api = await upstream({ expectedKey: keys[1] });
    const client = createClient(
      openaiClientOptions({ baseURL: api.url, provider: async () => keys[loads++ % 2] }),
    );
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Hello from the stub upstream.');
    expect(api.requests.length).toBe(2);
    assertNoLeak({ upstreamRequests: api.requests, responses: [completion] }, keys);
  });

  it('an upstream 401 the SDK reports (mismatched_project) carries no key', async () => {
    const key = fakeKey('project');
    const api = await upstream();
    api.reply({ type: 'auth_error', code: 'mismatched_project' });
    const client = createClient({ ...openaiClientOptions({ apiKey: key, baseURL: api.url }), maxRetries: 0 });
    let error: unknown;
    try {
      await client.models.list();
    } catch (caught) {
      error = caught;
    }
    expect((error as { status?: number }).status).toBe(401);
    expect(api.requests.length).toBe(1);
    assertNoLeak({ errors: [error], upstreamRequests: api.requests }, [key]);
  });

  it('missing credentials surface as the cause of the SDK error, typed, without a request', async () => {
    const api = await upstream();
    const client = createClient({ ...openaiClientOptions({ baseURL: api.url }), maxRetries: 0 });
    let error: unknown;
    try {
      await client.models.list();
    } catch (caught) {
      error = caught;
    }
    const cause = (error as { cause?: unknown }).cause;
    expect(AuthError.is(cause) && cause.code).toBe('missing_credentials');
    expect(api.requests.length).toBe(0);
  });

  it('uploads files: the multipart body arrives intact through undici', async () => {
    const key = fakeKey('project');
    const api = await upstream({ expectedKey: key });
    api.reply({
      type: 'json',
      body: {
        id: 'file-abc',
        object: 'file',
        bytes: 11,
        created_at: 0,
        filename: 'notes.jsonl',
        purpose: 'batch',
      },
    });
    const client = createClient(openaiClientOptions({ apiKey: key, baseURL: api.url }));
    await client.files.create({
      file: new File(['{"a":"b"}\n'], 'notes.jsonl', { type: 'application/jsonl' }),
      purpose: 'batch',
    });
    const [request] = api.requests;
    expect(request?.headers['content-type']?.[0]).toMatch(/^multipart\/form-data; boundary=/);
    expect(request?.body).toContain('filename="notes.jsonl"');
    expect(request?.body).toContain('{"a":"b"}');
    assertNoLeak({ upstreamRequests: api.requests }, [key]);
  });

  it('baseURL comes from OPENAI_BASE_URL; a non-https remote one throws invalid_base_url at once', async () => {
    const key = fakeKey('project');
    const api = await upstream({ expectedKey: key });
    env.set({ OPENAI_API_KEY: key, OPENAI_BASE_URL: api.url });
    const options = openaiClientOptions();
    expect(options.baseURL).toBe(api.url);
    await createClient(options).models.list();
    expect(api.requests.length).toBe(1);
    env.set({ OPENAI_BASE_URL: 'http://gateway.example.com/v1' });
    let error: unknown;
    try {
      openaiClientOptions();
    } catch (caught) {
      error = caught;
    }
    expect(AuthError.is(error) && error.code).toBe('invalid_base_url');
  });
});

describe('openaiClientOptions', () => {
  it('holds no key: a placeholder for the SDK, null org/project/admin key, the default base URL', () => {
    const key = fakeKey('project');
    const options = openaiClientOptions({ apiKey: key });
    expect(options.organization).toBeNull();
    expect(options.project).toBeNull();
    expect(options.adminAPIKey).toBeNull();
    expect(options.baseURL).toBe('https://api.openai.com/v1');
    expect(options.apiKey).not.toContain(key);
    assertNoLeak({ values: [options, new OpenAI7(options)] }, [key]);
  });
});
