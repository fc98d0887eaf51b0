import { assertNoLeak, fakeKey, fakeOrgId, fakeProjectId } from '@auth/testkit';
import { describe, expect, it } from 'vitest';
import { AuthError } from '../auth-error.ts';
import type { CredentialSource } from '../credential-source.ts';
import { fromValues } from '../from-values.ts';
import { createRuntimeAdapter } from './create-runtime-adapter.ts';
import type { CommandRunner, FetchFunction, RuntimePorts } from './runtime-ports.ts';

/* The adapter functions every runtime gets, over ports held in memory: the chain, the options, the wiring. */

function portsOf(
  env: Record<string, string | undefined> = {},
  files: Record<string, string> = {},
  overrides: Partial<RuntimePorts> = {},
): RuntimePorts & { fetches: number; calls: { url: string; headers: Headers }[] } {
  const calls: { url: string; headers: Headers }[] = [];
  const ports = {
    runtime: 'node' as const,
    readEnv: (name: string) => env[name],
    readTextFile: async (path: string) => {
      const content = files[path];
      if (content === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return content;
    },
    fetches: 0,
    calls,
    createFetch: (): FetchFunction => {
      ports.fetches++;
      return async (input, init) => {
        calls.push({ url: String(input), headers: new Headers(init?.headers) });
        return new Response('{}', { headers: { 'content-type': 'application/json' } });
      };
    },
    runCommand: (() => Promise.reject(new Error('no commands expected'))) as CommandRunner,
    ...overrides,
  };
  return ports;
}

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    expect(AuthError.is(error)).toBe(true);
    return error as AuthError;
  }
  throw new Error('expected a rejection');
}

describe('createRuntimeAdapter: createResolver and resolveCredentials', () => {
  it('each field from its own first source: options → env → secret file → provider', async () => {
    const key = fakeKey('project');
    const organization = fakeOrgId();
    const project = fakeProjectId();
    let providerCalls = 0;
    const adapter = createRuntimeAdapter(
      portsOf(
        { OPENAI_ORG_ID: organization, OPENAI_PROJECT_ID_FILE: '/run/project' },
        { '/run/project': `${project}\n` },
      ),
    );
    expect(adapter.runtime).toBe('node');
    const resolver = adapter.createResolver({
      baseURL: 'http://127.0.0.1:9/v1',
      provider: async () => {
        providerCalls++;
        return key;
      },
    });
    const credentials = await resolver.resolve();
    expect(credentials.origins).toEqual({
      apiKey: 'provider',
      organization: 'env OPENAI_ORG_ID',
      project: 'file /run/project (OPENAI_PROJECT_ID_FILE)',
      baseURL: 'options.baseURL',
    });
    expect(credentials.project).toBe(project);
    expect(providerCalls).toBe(1);
    assertNoLeak({ values: [credentials, await resolver.report()] }, [key]);
  });

  it('A1: explicit apiKey wins over the env; null stops a field; a CredentialSource provider is asked last', async () => {
    const explicit = fakeKey('project');
    const adapter = createRuntimeAdapter(
      portsOf({ OPENAI_API_KEY: fakeKey('project'), OPENAI_PROJECT_ID: fakeProjectId() }),
    );
    const credentials = await adapter.resolveCredentials({ apiKey: explicit, project: null });
    expect(credentials.apiKey === explicit).toBe(true);
    expect(credentials.project).toBeUndefined();
    const source: CredentialSource = {
      name: 'custom',
      fields: ['apiKey'],
      read: () => ({ fields: { apiKey: { status: 'found', value: explicit, origin: 'custom store' } } }),
    };
    const fromSource = await createRuntimeAdapter(portsOf()).resolveCredentials({ provider: source });
    expect(fromSource.origins.apiKey).toBe('custom store');
  });

  it('A2: nothing set → missing_credentials naming the sources looked at', async () => {
    const error = await rejection(
      createRuntimeAdapter(portsOf({ OPENAI_API_KEY: '  ' })).resolveCredentials(),
    );
    expect(error.code).toBe('missing_credentials');
    for (const name of ['options.apiKey', 'env OPENAI_API_KEY', 'OPENAI_API_KEY_FILE']) {
      expect(error.message).toContain(name);
    }
  });

  it('sources replaces the chain; allowedKeyKinds and dangerouslyAllowBrowser reach the resolver', async () => {
    const chosen = fakeKey('project');
    const adapter = createRuntimeAdapter(portsOf({ OPENAI_API_KEY: fakeKey('admin') }));
    const resolver = adapter.createResolver({ sources: [fromValues({ apiKey: chosen }, 'vault')] });
    expect((await resolver.resolve()).apiKey === chosen).toBe(true);
    expect((await resolver.report()).fields.apiKey.attempts.map((attempt) => attempt.source)).toEqual([
      'vault',
    ]);
    const refused = await rejection(adapter.resolveCredentials({ allowedKeyKinds: ['project'] }));
    expect(refused.code).toBe('key_kind_not_allowed');
    const globals = globalThis as Record<string, unknown>;
    globals.window = {};
    globals.document = {};
    try {
      expect((await rejection(adapter.resolveCredentials({ apiKey: chosen }))).code).toBe('browser_exposure');
      const allowed = await adapter.resolveCredentials({ apiKey: chosen, dangerouslyAllowBrowser: true });
      expect(allowed.apiKey === chosen).toBe(true);
    } finally {
      delete globals.window;
      delete globals.document;
    }
  });

  it('an env the runtime refuses to read is skipped and reported, never a crash', async () => {
    const key = fakeKey('project');
    const refusing = portsOf(
      {},
      {},
      {
        readEnv: () => {
          throw new Error('Requires env access');
        },
      },
    );
    const resolver = createRuntimeAdapter(refusing).createResolver({ apiKey: key });
    expect((await resolver.resolve()).apiKey === key).toBe(true);
  });
});

describe('createRuntimeAdapter: createAuthFetch', () => {
  it('sends with the runtime client, created once per auth fetch, and pins the base URL at construction', async () => {
    const key = fakeKey('project');
    const ports = portsOf({ OPENAI_API_KEY: key });
    const adapter = createRuntimeAdapter(ports);
    const authFetch = adapter.createAuthFetch({ baseURL: ' http://127.0.0.1:9/v1 ' });
    expect(ports.fetches).toBe(1);
    await authFetch('/models');
    await authFetch('/models');
    expect(ports.fetches).toBe(1);
    expect(ports.calls.map((call) => call.url)).toEqual([
      'http://127.0.0.1:9/v1/models',
      'http://127.0.0.1:9/v1/models',
    ]);
    expect(ports.calls[0]?.headers.get('authorization') === `Bearer ${key}`).toBe(true);
    let error: unknown;
    try {
      adapter.createAuthFetch({ apiKey: key, baseURL: 'http://api.example.com/v1' });
    } catch (caught) {
      error = caught;
    }
    expect(AuthError.is(error) && error.code).toBe('invalid_base_url');
  });

  it('a fetch option or a shared resolver wins; the runtime client is not even created', async () => {
    const key = fakeKey('project');
    const ports = portsOf();
    const adapter = createRuntimeAdapter(ports);
    const seen: string[] = [];
    const own: typeof fetch = async (input) => {
      seen.push(String(input));
      return new Response('{}');
    };
    const resolver = adapter.createResolver({ apiKey: key, baseURL: 'http://127.0.0.1:9/v1' });
    const authFetch = adapter.createAuthFetch({ resolver, fetch: own, apiKey: fakeKey('project') });
    await authFetch('/models');
    expect(seen).toEqual(['http://127.0.0.1:9/v1/models']);
    expect(ports.fetches).toBe(0);
    expect('Response' in authFetch).toBe(false);
  });

  it('the runtime client’s Response class is passed on to the auth fetch (the SDK’s upload probe)', () => {
    class RuntimeResponse extends Response {}
    const ports = portsOf(
      {},
      {},
      {
        createFetch: () => Object.assign(async () => new Response(), { Response: RuntimeResponse }),
      },
    );
    const authFetch = createRuntimeAdapter(ports).createAuthFetch({ apiKey: fakeKey('project') });
    expect((authFetch as unknown as { Response: unknown }).Response).toBe(RuntimeResponse);
  });
});

describe('createRuntimeAdapter: openaiClientOptions', () => {
  it('a placeholder key, null organization/project, and the base URL from option, then env, then default', () => {
    const adapter = createRuntimeAdapter(portsOf({ OPENAI_BASE_URL: 'http://127.0.0.1:8080/v1/' }));
    const options = adapter.openaiClientOptions({ apiKey: fakeKey('project') });
    expect(options).toMatchObject({
      apiKey: 'openai-auth-resolves-the-key-per-request',
      adminAPIKey: null,
      organization: null,
      project: null,
      baseURL: 'http://127.0.0.1:8080/v1',
    });
    expect('dangerouslyAllowBrowser' in options).toBe(false);
    expect(adapter.openaiClientOptions({ baseURL: 'http://127.0.0.1:9/v1' }).baseURL).toBe(
      'http://127.0.0.1:9/v1',
    );
    expect(adapter.openaiClientOptions({ baseURL: null }).baseURL).toBe('https://api.openai.com/v1');
    expect(adapter.openaiClientOptions({ dangerouslyAllowBrowser: true }).dangerouslyAllowBrowser).toBe(true);
  });

  it('C19: an invalid base URL throws now; an env that cannot be read means the default', () => {
    const adapter = createRuntimeAdapter(portsOf({ OPENAI_BASE_URL: 'http://gateway.example.com/v1' }));
    let error: unknown;
    try {
      adapter.openaiClientOptions();
    } catch (caught) {
      error = caught;
    }
    expect(AuthError.is(error) && error.code).toBe('invalid_base_url');
    const refusing = portsOf(
      {},
      {},
      {
        readEnv: () => {
          throw new Error('Requires env access');
        },
      },
    );
    expect(createRuntimeAdapter(refusing).openaiClientOptions().baseURL).toBe('https://api.openai.com/v1');
  });

  it('the fetch resolves per request, pinned to the SDK’s base URL', async () => {
    const key = fakeKey('project');
    const ports = portsOf({ OPENAI_API_KEY: key });
    const options = createRuntimeAdapter(ports).openaiClientOptions({ baseURL: 'http://127.0.0.1:9/v1' });
    await options.fetch('http://127.0.0.1:9/v1/models', { headers: { authorization: 'Bearer placeholder' } });
    expect(ports.calls[0]?.headers.get('authorization') === `Bearer ${key}`).toBe(true);
    assertNoLeak({ values: [options] }, [key]);
  });
});

describe('createRuntimeAdapter: fromCommand', () => {
  it('runs through the runtime’s runCommand', async () => {
    const key = fakeKey('project');
    const commands: string[] = [];
    const runCommand: CommandRunner = async (request) => {
      commands.push([request.command, ...request.args].join(' '));
      return { exitCode: 0, signal: null, stdout: key, stderr: '', truncated: false, stderrTruncated: false };
    };
    const adapter = createRuntimeAdapter(portsOf({}, {}, { runCommand }));
    const credentials = await adapter.resolveCredentials({
      provider: adapter.fromCommand('pass', ['show', 'openai']),
    });
    expect(credentials.apiKey === key).toBe(true);
    expect(credentials.origins.apiKey).toBe('command pass show openai');
    expect(commands).toEqual(['pass show openai']);
  });
});
