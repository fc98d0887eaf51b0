import { assertNoLeak, fakeKey, fakeOrgId, fakeProjectId } from '@auth/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthError } from './auth-error.ts';
import { createResolver } from './create-resolver.ts';
import type { EnvReader } from './credential-source.ts';
import { fromEnv } from './from-env.ts';
import { fromProvider } from './from-provider.ts';
import { fromSecretFiles } from './from-secret-files.ts';
import { fromValues } from './from-values.ts';

const envOf =
  (vars: Record<string, string | undefined>): EnvReader =>
  (name) =>
    vars[name];
const noFiles = () => Promise.reject(new Error('no file reads expected'));

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    expect(AuthError.is(error)).toBe(true);
    return error as AuthError;
  }
  throw new Error('expected a rejection');
}

describe('createResolver: precedence and values', () => {
  it('A1: explicit apiKey wins over OPENAI_API_KEY, and the env value appears in no output', async () => {
    const explicit = fakeKey('project');
    const fromEnvironment = fakeKey('project');
    const resolver = createResolver({
      sources: [fromValues({ apiKey: explicit }), fromEnv(envOf({ OPENAI_API_KEY: fromEnvironment }))],
    });
    const credentials = await resolver.resolve();
    expect(credentials.apiKey).toBe(explicit);
    expect(credentials.origins.apiKey).toBe('options.apiKey');
    const report = await resolver.report();
    expect(report.fields.apiKey.origin).toBe('options.apiKey');
    expect(report.fields.apiKey.attempts.find((attempt) => attempt.source === 'env')?.outcome).toBe(
      'not asked',
    );
    assertNoLeak({ values: [credentials, report, resolver] }, [explicit, fromEnvironment]);
  });

  it('A2: OPENAI_API_KEY "", "   " or "\\n" with no other source → missing_credentials naming the sources', async () => {
    for (const blank of ['', '   ', '\n']) {
      const resolver = createResolver({
        sources: [
          fromValues({}),
          fromEnv(envOf({ OPENAI_API_KEY: blank })),
          fromSecretFiles(envOf({}), noFiles),
        ],
      });
      const error = await rejection(resolver.resolve());
      expect(error.code).toBe('missing_credentials');
      expect(error.message).toContain('options.apiKey (not given)');
      expect(error.message).toMatch(/env OPENAI_API_KEY \((empty|blank)\)/);
      expect(error.message).toContain('env OPENAI_API_KEY_FILE (not set)');
      expect(error.message).toContain('Set OPENAI_API_KEY');
    }
  });

  it('per-field precedence: each field from the first source that has it; values trimmed once', async () => {
    const key = fakeKey('project');
    const project = fakeProjectId();
    const resolver = createResolver({
      sources: [
        fromValues({ project: `  ${project}\n` }),
        fromEnv(
          envOf({
            OPENAI_API_KEY: ` ${key} `,
            OPENAI_PROJECT_ID: fakeProjectId(),
            OPENAI_BASE_URL: 'http://127.0.0.1:9/v1/',
          }),
        ),
      ],
    });
    const credentials = await resolver.resolve();
    expect(credentials.apiKey).toBe(key);
    expect(credentials.project).toBe(project);
    expect(credentials.baseURL).toBe('http://127.0.0.1:9/v1');
    expect(credentials.origins).toEqual({
      apiKey: 'env OPENAI_API_KEY',
      project: 'options.project',
      baseURL: 'env OPENAI_BASE_URL',
    });
  });

  it('A8: unset or whitespace org/project → no such header; explicit null suppresses an injected env value', async () => {
    const key = fakeKey('project');
    const blank = createResolver({
      sources: [fromEnv(envOf({ OPENAI_API_KEY: key, OPENAI_ORG_ID: '  ', OPENAI_PROJECT_ID: '\t' }))],
    });
    expect(Object.keys((await blank.resolve()).headers())).toEqual(['Authorization']);
    const suppressed = createResolver({
      sources: [
        fromValues({ organization: null }),
        fromEnv(envOf({ OPENAI_API_KEY: key, OPENAI_ORG_ID: fakeOrgId() })),
      ],
    });
    const credentials = await suppressed.resolve();
    expect(credentials.organization).toBeUndefined();
    expect(credentials.headers()).not.toHaveProperty('OpenAI-Organization');
    expect((await suppressed.report()).fields.organization.attempts[0]?.outcome).toBe('stopped');
    for (const value of Object.values(credentials.headers())) expect(value).not.toMatch(/undefined|null/);
  });

  it('A4: a variable and its _FILE twin both set → conflicting_sources, not silent precedence', async () => {
    const key = fakeKey('project');
    const env = envOf({ OPENAI_API_KEY: key, OPENAI_API_KEY_FILE: '/run/secrets/openai' });
    const readFile = vi.fn(async () => fakeKey('project'));
    for (const sources of [
      [fromEnv(env), fromSecretFiles(env, readFile)],
      [fromSecretFiles(env, readFile), fromEnv(env)],
    ]) {
      const error = await rejection(createResolver({ sources }).resolve());
      expect(error.code).toBe('conflicting_sources');
      expect(error.message).toContain('OPENAI_API_KEY_FILE');
      assertNoLeak({ errors: [error] }, [key]);
    }
    expect(readFile).not.toHaveBeenCalled();
  });

  it('A7: an env that throws on read is skipped and reported, resolution moves to the next source', async () => {
    const key = fakeKey('project');
    const denied: EnvReader = (name) => {
      throw Object.assign(
        new Error(`Requires env access to "${name}", run again with the --allow-env flag`),
        { name: 'NotCapable' },
      );
    };
    const resolver = createResolver({ sources: [fromEnv(denied), fromProvider(() => key)] });
    expect((await resolver.resolve()).apiKey).toBe(key);
    const report = await resolver.report();
    expect(report.fields.apiKey.attempts[0]?.detail).toMatch(
      /env not readable \(OPENAI_API_KEY\).*--allow-env=OPENAI_API_KEY/,
    );
    expect(report.warnings.map((warning) => warning.code)).toContain('source_unreadable');
    const alone = await rejection(createResolver({ sources: [fromEnv(denied)] }).resolve());
    expect(alone.code).toBe('missing_credentials');
    expect(alone.message).toContain('env not readable');
  });

  it('invalid values fail closed with the origin named and no fragment of the value', async () => {
    const key = fakeKey('project');
    const error = await rejection(
      createResolver({
        sources: [fromEnv(envOf({ OPENAI_API_KEY: `${key.slice(0, 40)} ${key.slice(40)}` }))],
      }).resolve(),
    );
    expect(error.code).toBe('invalid_credentials');
    expect(error.message).toContain('env OPENAI_API_KEY');
    expect(error.message).toContain('whitespace');
    assertNoLeak({ errors: [error] }, [key, key.slice(0, 40), key.slice(40)]);
  });

  it('C19: the base URL from env is checked like any other', async () => {
    const error = await rejection(
      createResolver({
        sources: [
          fromEnv(
            envOf({ OPENAI_API_KEY: fakeKey('project'), OPENAI_BASE_URL: 'http://api.example.com/v1' }),
          ),
        ],
      }).resolve(),
    );
    expect(error.code).toBe('invalid_base_url');
    expect(error.message).toContain('env OPENAI_BASE_URL');
  });
});

describe('createResolver: browser guard and key kinds', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('A9: in a browser-like global a secret key throws browser_exposure; ek_ passes; the escape hatch works', async () => {
    vi.stubGlobal('window', {});
    vi.stubGlobal('document', {});
    const key = fakeKey('project');
    const error = await rejection(createResolver({ sources: [fromValues({ apiKey: key })] }).resolve());
    expect(error.code).toBe('browser_exposure');
    expect(error.message).toContain('dangerouslyAllowBrowser');
    assertNoLeak({ errors: [error] }, [key]);
    const ephemeral = fakeKey('ephemeral');
    expect((await createResolver({ sources: [fromValues({ apiKey: ephemeral })] }).resolve()).keyKind).toBe(
      'ephemeral',
    );
    const allowed = createResolver({ sources: [fromValues({ apiKey: key })], dangerouslyAllowBrowser: true });
    expect((await allowed.resolve()).apiKey).toBe(key);
  });

  it('A9: a browser worker global is guarded too', async () => {
    vi.stubGlobal('importScripts', () => undefined);
    const error = await rejection(
      createResolver({ sources: [fromValues({ apiKey: fakeKey('user') })] }).resolve(),
    );
    expect(error.code).toBe('browser_exposure');
  });

  it('allowedKeyKinds refuses other kinds with key_kind_not_allowed', async () => {
    const key = fakeKey('admin');
    const error = await rejection(
      createResolver({
        sources: [fromValues({ apiKey: key })],
        allowedKeyKinds: ['project', 'service_account'],
      }).resolve(),
    );
    expect(error.code).toBe('key_kind_not_allowed');
    assertNoLeak({ errors: [error] }, [key]);
  });
});

describe('createResolver: report()', () => {
  it('says, per field, the source used, every source tried and why, the kind and mask, and warnings', async () => {
    const key = fakeKey('user');
    const resolver = createResolver({
      sources: [
        fromValues({ organization: 'Acme Corp'.replace(' ', '-') }),
        fromEnv(envOf({ OPENAI_API_KEY: key, OPENAI_PROJECT_ID: 'my-project' })),
        fromSecretFiles(envOf({}), noFiles),
      ],
      runtime: 'node',
    });
    const report = await resolver.report();
    expect(report.ok).toBe(true);
    expect(report.key).toEqual({ kind: 'user', masked: `sk-…${key.slice(-4)}` });
    expect(report.fields.apiKey.origin).toBe('env OPENAI_API_KEY');
    expect(report.fields.apiKey.value).toBe(`sk-…${key.slice(-4)}`);
    expect(report.fields.apiKey.attempts.map((attempt) => [attempt.origin, attempt.outcome])).toEqual([
      ['options.apiKey', 'absent'],
      ['env OPENAI_API_KEY', 'used'],
      ['secret files', 'not asked'],
    ]);
    expect(report.fields.baseURL).toMatchObject({ value: 'https://api.openai.com/v1', origin: 'default' });
    expect(report.warnings.map((warning) => warning.code).sort()).toEqual([
      'unusual_organization_id',
      'unusual_project_id',
      'user_key',
    ]);
    assertNoLeak({ values: [report] }, [key]);
  });

  it('warns about admin keys and ephemeral keys on a server; reports errors without throwing', async () => {
    const admin = await createResolver({
      sources: [fromValues({ apiKey: fakeKey('admin') })],
      runtime: 'node',
    }).report();
    expect(admin.warnings.map((warning) => warning.code)).toEqual(['admin_key']);
    const ephemeral = await createResolver({
      sources: [fromValues({ apiKey: fakeKey('ephemeral') })],
      runtime: 'deno',
    }).report();
    expect(ephemeral.warnings.map((warning) => warning.code)).toEqual(['ephemeral_key_on_server']);
    const missing = await createResolver({ sources: [fromEnv(envOf({}))], runtime: 'node' }).report();
    expect(missing.ok).toBe(false);
    expect(missing.error?.code).toBe('missing_credentials');
  });
});
