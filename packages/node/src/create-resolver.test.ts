import { inspect } from 'node:util';
import { assertNoLeak, fakeKey, fakeOrgId, fakeProjectId } from '@auth/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AuthError,
  type CredentialSource,
  createResolver,
  formatReport,
  fromValues,
  resolveCredentials,
} from './index.ts';
import { scopedEnv } from './testing/scoped-env.ts';
import { withSecretFile } from './testing/with-secret-file.ts';

const env = scopedEnv();
afterEach(() => env.restore());

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    if (AuthError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('createResolver on the real process.env', () => {
  it('A1: explicit apiKey wins over OPENAI_API_KEY; the env value appears in no output', async () => {
    const explicit = fakeKey('project');
    const fromEnv = fakeKey('project');
    env.set({ OPENAI_API_KEY: fromEnv });
    const resolver = createResolver({ apiKey: explicit });
    const credentials = await resolver.resolve();
    expect(credentials.apiKey === explicit).toBe(true);
    const report = await resolver.report();
    expect(report.fields.apiKey.origin).toBe('options.apiKey');
    assertNoLeak(
      { values: [credentials, report, resolver], logs: [formatReport(report), inspect(credentials)] },
      [explicit, fromEnv],
    );
  });

  it('A1: without options, OPENAI_API_KEY of process.env is used, trimmed once', async () => {
    const key = fakeKey('service_account');
    env.set({ OPENAI_API_KEY: `  ${key}\n` });
    const credentials = await resolveCredentials();
    expect(credentials.apiKey === key).toBe(true);
    expect(credentials.origins.apiKey).toBe('env OPENAI_API_KEY');
    expect(credentials.keyKind).toBe('service_account');
  });

  it('reads process.env at resolve time, not at import time', async () => {
    const resolver = createResolver();
    const key = fakeKey('project');
    env.set({ OPENAI_API_KEY: key });
    expect((await resolver.resolve()).apiKey === key).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['spaces', '   '],
    ['a newline', '\n'],
  ])(
    'A2: OPENAI_API_KEY %s and no other source → missing_credentials naming the sources',
    async (_, value) => {
      env.set({ OPENAI_API_KEY: value });
      const error = await rejection(resolveCredentials());
      expect(error.code).toBe('missing_credentials');
      expect(error.message).toContain('env OPENAI_API_KEY');
      expect(error.message).toContain('OPENAI_API_KEY_FILE');
      expect(error.message).toContain('options.apiKey');
    },
  );

  it('each field comes from its own first source: options → env → secret file → provider', async () => {
    const key = fakeKey('project');
    const organization = fakeOrgId();
    const project = fakeProjectId();
    let providerCalls = 0;
    await withSecretFile(`${project}\n`, async (projectFile) => {
      env.set({ OPENAI_ORG_ID: organization, OPENAI_PROJECT_ID_FILE: projectFile });
      const resolver = createResolver({
        baseURL: 'http://127.0.0.1:9/v1',
        provider: async () => {
          providerCalls++;
          return key;
        },
      });
      const credentials = await resolver.resolve();
      expect(credentials.apiKey === key).toBe(true);
      expect(credentials.organization).toBe(organization);
      expect(credentials.project).toBe(project);
      expect(credentials.baseURL).toBe('http://127.0.0.1:9/v1');
      expect(credentials.origins).toEqual({
        apiKey: 'provider',
        organization: 'env OPENAI_ORG_ID',
        project: `file ${projectFile} (OPENAI_PROJECT_ID_FILE)`,
        baseURL: 'options.baseURL',
      });
      expect(providerCalls).toBe(1);
      assertNoLeak({ values: [credentials, await resolver.report()] }, [key]);
    });
  });

  it('the provider is not called when the environment has the key', async () => {
    const key = fakeKey('project');
    env.set({ OPENAI_API_KEY: key });
    let calls = 0;
    const credentials = await resolveCredentials({
      provider: () => {
        calls++;
        return fakeKey('project');
      },
    });
    expect(credentials.apiKey === key).toBe(true);
    expect(calls).toBe(0);
  });

  it('the key comes from OPENAI_API_KEY_FILE when OPENAI_API_KEY is unset', async () => {
    const key = fakeKey('project');
    await withSecretFile(`${key}\n`, async (path) => {
      env.set({ OPENAI_API_KEY_FILE: path });
      const credentials = await resolveCredentials();
      expect(credentials.apiKey === key).toBe(true);
      expect(credentials.origins.apiKey).toBe(`file ${path} (OPENAI_API_KEY_FILE)`);
    });
  });

  it('A4: OPENAI_API_KEY and OPENAI_API_KEY_FILE both set → conflicting_sources, no key in the error', async () => {
    const key = fakeKey('project');
    await withSecretFile(fakeKey('project'), async (path) => {
      env.set({ OPENAI_API_KEY: key, OPENAI_API_KEY_FILE: path });
      const error = await rejection(resolveCredentials());
      expect(error.code).toBe('conflicting_sources');
      expect(error.message).toContain('OPENAI_API_KEY_FILE');
      assertNoLeak({ errors: [error] }, [key]);
    });
  });

  it('A8: whitespace OPENAI_ORG_ID → no organization; explicit null suppresses OPENAI_PROJECT_ID', async () => {
    env.set({
      OPENAI_API_KEY: fakeKey('project'),
      OPENAI_ORG_ID: ' \t ',
      OPENAI_PROJECT_ID: fakeProjectId(),
    });
    const credentials = await resolveCredentials({ project: null });
    expect(credentials.organization).toBeUndefined();
    expect(credentials.project).toBeUndefined();
    expect(Object.keys(credentials.headers())).toEqual(['Authorization']);
  });

  it('OPENAI_BASE_URL is used and validated; explicit null keeps the default', async () => {
    env.set({ OPENAI_API_KEY: fakeKey('project'), OPENAI_BASE_URL: 'http://127.0.0.1:8080/v1/' });
    expect((await resolveCredentials()).baseURL).toBe('http://127.0.0.1:8080/v1');
    expect((await resolveCredentials({ baseURL: null })).baseURL).toBe('https://api.openai.com/v1');
    env.set({ OPENAI_BASE_URL: 'http://gateway.example.com/v1' });
    expect((await rejection(resolveCredentials())).code).toBe('invalid_base_url');
  });

  it('sources replaces the whole default chain', async () => {
    const chosen = fakeKey('project');
    env.set({ OPENAI_API_KEY: fakeKey('project') });
    const resolver = createResolver({ sources: [fromValues({ apiKey: chosen }, 'vault')] });
    expect((await resolver.resolve()).apiKey === chosen).toBe(true);
    const report = await resolver.report();
    expect(report.fields.apiKey.attempts.map((attempt) => attempt.source)).toEqual(['vault']);
  });

  it('a CredentialSource object as provider is asked last', async () => {
    const key = fakeKey('project');
    const source: CredentialSource = {
      name: 'custom',
      fields: ['apiKey'],
      read: () => ({ fields: { apiKey: { status: 'found', value: key, origin: 'custom store' } } }),
    };
    const credentials = await resolveCredentials({ provider: source });
    expect(credentials.origins.apiKey).toBe('custom store');
  });

  it('allowedKeyKinds refuses other kinds with key_kind_not_allowed', async () => {
    const key = fakeKey('admin');
    env.set({ OPENAI_API_KEY: key });
    const error = await rejection(resolveCredentials({ allowedKeyKinds: ['project', 'service_account'] }));
    expect(error.code).toBe('key_kind_not_allowed');
    assertNoLeak({ errors: [error] }, [key]);
  });

  it('A9: a browser-like global refuses a secret key unless dangerouslyAllowBrowser', async () => {
    const key = fakeKey('project');
    const globals = globalThis as Record<string, unknown>;
    globals.window = {};
    globals.document = {};
    try {
      const error = await rejection(resolveCredentials({ apiKey: key }));
      expect(error.code).toBe('browser_exposure');
      assertNoLeak({ errors: [error] }, [key]);
      expect((await resolveCredentials({ apiKey: key, dangerouslyAllowBrowser: true })).apiKey === key).toBe(
        true,
      );
    } finally {
      delete globals.window;
      delete globals.document;
    }
  });

  it('A10: inspect, JSON, String and structuredClone of credentials, report and resolver hold no key', async () => {
    const key = fakeKey('user');
    env.set({ OPENAI_API_KEY: key, OPENAI_ORG_ID: fakeOrgId() });
    const resolver = createResolver();
    const credentials = await resolver.resolve();
    const report = await resolver.report();
    expect(report.warnings.map((warning) => warning.code)).toContain('user_key');
    assertNoLeak(
      {
        values: [credentials, report, resolver],
        logs: [JSON.stringify(credentials), `${credentials}`, inspect(credentials, { showHidden: true })],
      },
      [key],
    );
  });
});
