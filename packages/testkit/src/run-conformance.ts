import { assertNoLeak } from './assert-no-leak.ts';
import { expectValue as expect } from './expect-value.ts';
import { fakeKey, fakeOrgId, fakeProjectId } from './fake-key.ts';
import { startUpstream, type Upstream } from './start-upstream.ts';

/** The test runner's `describe`/`it`, as vitest, `bun:test` and Deno wrappers all offer them. */
export interface ConformanceHost {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>): void;
}

// Structural view of an adapter module: testkit must not depend on the code it checks.
// biome-ignore lint/suspicious/noExplicitAny: options differ per adapter; the cases pass plain objects.
type Options = any;
interface CredentialsLike {
  apiKey: string;
  organization?: string | undefined;
  project?: string | undefined;
  headers(): Record<string, string>;
}
interface ResolverLike {
  resolve(): Promise<CredentialsLike>;
  invalidate(stale?: CredentialsLike): void;
  report(): Promise<{ ok: boolean; fields: Record<string, { origin?: string }>; error?: { code: string } }>;
}

/** What the conformance suite calls. Every adapter module has it; core gets a thin shim. */
export interface ConformanceLib {
  createResolver(options?: Options): ResolverLike;
  resolveCredentials(options?: Options): Promise<CredentialsLike>;
  createAuthFetch(
    options?: Options,
  ): (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  buildAuthHeaders(input: Options): Record<string, string | undefined>;
  fromProvider(load: Options, options?: Options): unknown;
  classifyKey(key: string): string;
  maskKey(key: string): string;
  redactSecrets(text: string): string;
  detectRuntime(): string;
  formatReport(report: Options): string;
  AuthError: { is(value: unknown): boolean };
}

/** An adapter under test: its module and a way to set the runtime's environment variables. */
export interface ConformanceTarget {
  runtime: 'node' | 'deno' | 'bun';
  lib: ConformanceLib;
  /** Sets (string) or removes (undefined) environment variables, the runtime's own way. */
  setEnv(vars: Record<string, string | undefined>): void;
}

const allVariables = [
  'OPENAI_API_KEY',
  'OPENAI_ORG_ID',
  'OPENAI_PROJECT_ID',
  'OPENAI_BASE_URL',
  'OPENAI_API_KEY_FILE',
  'OPENAI_ORG_ID_FILE',
  'OPENAI_PROJECT_ID_FILE',
];

/**
 * The cases every runtime must pass the same way, named by their SECURITY-TESTS numbers. Run it from each
 * runtime's own test runner, so the adapters are proven where they run.
 *
 * @example
 * import { describe, it } from 'vitest';
 * runConformance({ describe, it }, { runtime: 'node', lib: await import('./index.ts'), setEnv });
 */
export function runConformance(host: ConformanceHost, target: ConformanceTarget): void {
  const { lib } = target;
  const clean = Object.fromEntries(allVariables.map((name) => [name, undefined]));
  // Each case starts from an environment without OPENAI_* variables and leaves it that way.
  const withEnv = (vars: Record<string, string | undefined>, body: () => Promise<void>) => async () => {
    target.setEnv({ ...clean, ...vars });
    try {
      await body();
    } finally {
      target.setEnv(clean);
    }
  };
  const servers: Upstream[] = [];
  const upstream = async (options: Parameters<typeof startUpstream>[0] = {}) => {
    const server = await startUpstream(options);
    servers.push(server);
    return server;
  };
  const closeAll = () => Promise.all(servers.splice(0).map((server) => server.close()));
  const rejection = async (promise: Promise<unknown>): Promise<{ code: string; message: string }> => {
    try {
      await promise;
    } catch (error) {
      expect(lib.AuthError.is(error), 'an AuthError').toBe(true);
      return error as { code: string; message: string };
    }
    throw new Error('expected a rejection');
  };
  const caseOf = (name: string, vars: Record<string, string | undefined>, body: () => Promise<void>) =>
    host.it(
      name,
      withEnv(vars, async () => {
        try {
          await body();
        } finally {
          await closeAll();
        }
      }),
    );

  host.describe(`conformance (${target.runtime})`, () => {
    const explicit = fakeKey('project');
    const envKey = fakeKey('project');
    caseOf('detectRuntime() names this runtime', {}, async () => {
      expect(lib.detectRuntime()).toBe(target.runtime);
    });

    caseOf(
      'A1: explicit apiKey wins over OPENAI_API_KEY; the env value appears in no output',
      { OPENAI_API_KEY: envKey },
      async () => {
        const resolver = lib.createResolver({ apiKey: explicit });
        const credentials = await resolver.resolve();
        expect(credentials.apiKey === explicit, 'explicit key used').toBe(true);
        const report = await resolver.report();
        expect(report.fields.apiKey?.origin).toBe('options.apiKey');
        assertNoLeak(
          { values: [credentials, report], logs: [lib.formatReport(report), String(credentials)] },
          [explicit, envKey],
        );
      },
    );

    caseOf(
      'A1: without options the key comes from OPENAI_API_KEY of this runtime',
      { OPENAI_API_KEY: ` ${envKey}\n` },
      async () => {
        const credentials = await lib.resolveCredentials();
        expect(credentials.apiKey === envKey, 'env key used, trimmed').toBe(true);
      },
    );

    caseOf(
      'A2: OPENAI_API_KEY blank and no other source → missing_credentials naming the sources',
      { OPENAI_API_KEY: '   ' },
      async () => {
        const error = await rejection(lib.resolveCredentials());
        expect(error.code).toBe('missing_credentials');
        expect(error.message).toContain('OPENAI_API_KEY');
        expect(error.message).toContain('OPENAI_API_KEY_FILE');
      },
    );

    caseOf(
      'A4: OPENAI_API_KEY and OPENAI_API_KEY_FILE both set → conflicting_sources',
      { OPENAI_API_KEY: envKey, OPENAI_API_KEY_FILE: '/nonexistent/openai-key' },
      async () => {
        const error = await rejection(lib.resolveCredentials());
        expect(error.code).toBe('conflicting_sources');
        assertNoLeak({ errors: [error] }, [envKey]);
      },
    );

    caseOf(
      'A6: a hanging provider → provider_timeout; 50 concurrent first calls → one load',
      {},
      async () => {
        // The default provider timeout is 10 s: a bounded one keeps the case fast.
        const bounded = lib.createResolver({
          sources: [lib.fromProvider(() => new Promise(() => undefined), { timeoutMs: 50 })],
        });
        expect((await rejection(bounded.resolve())).code).toBe('provider_timeout');
        let loads = 0;
        const key = fakeKey('service_account');
        const shared = lib.createResolver({
          provider: async () => {
            loads++;
            await new Promise((resolve) => setTimeout(resolve, 10));
            return key;
          },
        });
        const all = await Promise.all(Array.from({ length: 50 }, () => shared.resolve()));
        expect(loads).toBe(1);
        expect(new Set(all).size).toBe(1);
      },
    );

    caseOf(
      'A8: whitespace OPENAI_ORG_ID/OPENAI_PROJECT_ID → no such headers; explicit null suppresses env',
      { OPENAI_API_KEY: envKey, OPENAI_ORG_ID: '  ', OPENAI_PROJECT_ID: fakeProjectId() },
      async () => {
        const credentials = await lib.resolveCredentials({ project: null });
        expect(Object.keys(credentials.headers()).join()).toBe('Authorization');
      },
    );

    caseOf('A10: JSON, String, template and report of credentials show no key material', {}, async () => {
      const key = fakeKey('admin');
      const resolver = lib.createResolver({ apiKey: key, organization: fakeOrgId() });
      const credentials = await resolver.resolve();
      const report = await resolver.report();
      assertNoLeak(
        {
          values: [credentials, resolver, report],
          logs: [JSON.stringify(credentials), `${credentials}`, lib.formatReport(report)],
        },
        [key],
      );
    });

    caseOf('B11: a key with CRLF or NUL is rejected before Headers; the error holds no key', {}, async () => {
      const key = fakeKey('project');
      const errors: unknown[] = [];
      for (const bad of [`${key}\r\nX-Evil: 1`, `${key.slice(0, 20)}\0${key.slice(20)}`]) {
        try {
          lib.buildAuthHeaders({ apiKey: bad });
          throw new Error('accepted');
        } catch (error) {
          expect(lib.AuthError.is(error), 'typed').toBe(true);
          errors.push(error);
        }
      }
      assertNoLeak({ errors }, [key]);
    });

    caseOf(
      'B12: org/project with comma, CRLF or non-Latin-1 rejected; unknown formats accepted',
      {},
      async () => {
        const apiKey = fakeKey('project');
        for (const bad of ['org-a,org-b', 'org-a\r\nX: 1', 'org-中']) {
          let typed = false;
          try {
            lib.buildAuthHeaders({ apiKey, organization: bad });
          } catch (error) {
            typed = lib.AuthError.is(error);
          }
          expect(typed, bad).toBe(true);
        }
        expect(lib.buildAuthHeaders({ apiKey, project: 'future-prefix_123' })['OpenAI-Project']).toBe(
          'future-prefix_123',
        );
      },
    );

    caseOf(
      'B16: the wire carries exactly one "Authorization: Bearer <key>", org/project when set',
      {},
      async () => {
        const key = fakeKey('project');
        const organization = fakeOrgId();
        const project = fakeProjectId();
        const api = await upstream();
        const authFetch = lib.createAuthFetch({ apiKey: key, organization, project, baseURL: api.url });
        const response = await authFetch('/models');
        const body = await response.text();
        expect(response.status).toBe(200);
        const headers = api.requests[0]?.headers ?? {};
        expect((headers.authorization ?? []).length).toBe(1);
        expect(headers.authorization?.[0] === `Bearer ${key}`, 'exact wire format').toBe(true);
        expect(headers['openai-organization']?.[0]).toBe(organization);
        expect(headers['openai-project']?.[0]).toBe(project);
        expect(api.requests[0]?.target).toBe('/v1/models');
        const bare = lib.createAuthFetch({ apiKey: key, baseURL: api.url });
        await (await bare('/models')).text();
        expect(api.requests[1]?.headers['openai-organization']).toBeUndefined();
        expect(api.requests[1]?.headers['openai-project']).toBeUndefined();
        assertNoLeak({ upstreamRequests: api.requests, responses: [body] }, [key]);
      },
    );

    caseOf(
      'C18: a redirect to another origin → redirect_blocked; the other origin receives nothing',
      {},
      async () => {
        const key = fakeKey('project');
        const api = await upstream();
        const other = await upstream();
        api.reply({ type: 'redirect', status: 307, location: `${other.url}/chat/completions` });
        const authFetch = lib.createAuthFetch({ apiKey: key, organization: fakeOrgId(), baseURL: api.url });
        const error = await rejection(
          authFetch('/chat/completions', { method: 'POST', body: '{"model":"gpt-4o-mini"}' }),
        );
        expect(error.code).toBe('redirect_blocked');
        expect(other.requests.length).toBe(0);
        assertNoLeak({ errors: [error], upstreamRequests: api.requests, foreignRequests: other.requests }, [
          key,
        ]);
      },
    );

    caseOf('C20: 401 invalid_api_key → one refresh and one retry with the new key', {}, async () => {
      const keys = [fakeKey('project'), fakeKey('project')];
      let loads = 0;
      const api = await upstream();
      api.reply({ type: 'auth_error', code: 'invalid_api_key' });
      const authFetch = lib.createAuthFetch({ baseURL: api.url, provider: async () => keys[loads++ % 2] });
      const response = await authFetch('/models');
      await response.text();
      expect(response.status).toBe(200);
      expect(loads).toBe(2);
      expect(api.requests.length).toBe(2);
      expect(
        api.requests[1]?.headers.authorization?.[0] === `Bearer ${keys[1]}`,
        'retried with the new key',
      ).toBe(true);
      assertNoLeak({ upstreamRequests: api.requests }, keys);
    });

    caseOf('C23: an upstream that never answers → upstream_timeout at the configured limit', {}, async () => {
      const key = fakeKey('project');
      const api = await upstream();
      api.reply({ type: 'stall', phase: 'headers' });
      const authFetch = lib.createAuthFetch({ apiKey: key, baseURL: api.url, timeoutMs: 100 });
      const started = Date.now();
      const error = await rejection(authFetch('/models'));
      expect(error.code).toBe('upstream_timeout');
      expect(Date.now() - started).toBeLessThan(3000);
      assertNoLeak({ errors: [error] }, [key]);
    });

    caseOf('B17: maskKey and redactSecrets hide the key but keep its last 4', {}, async () => {
      const key = fakeKey('service_account');
      expect(lib.maskKey(key)).toBe(`sk-svcacct-…${key.slice(-4)}`);
      const text = lib.redactSecrets(`failed with ${key} at noon`);
      expect(text).not.toContain(key);
      expect(lib.classifyKey(key)).toBe('service_account');
      assertNoLeak({ logs: [text, lib.maskKey(key)] }, [key]);
    });
  });
}
