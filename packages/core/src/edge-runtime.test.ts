import { fileURLToPath } from 'node:url';
import { assertNoLeak, fakeKey, startUpstream } from '@auth/testkit';
import { EdgeVM } from '@edge-runtime/vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/*
 * Proves core needs nothing from Node: its bundled source runs inside a Web-standard-only context (no
 * `process`, `Buffer`, `require`, `Deno`, `Bun`), resolves, builds headers and authenticates a request.
 * vitest's own `edge-runtime` environment still leaks Node globals into tests, so a real EdgeVM is used.
 */
async function bundleCore(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    globalName: 'core',
    platform: 'neutral',
    write: false,
  });
  return result.outputFiles[0]!.text;
}

describe('core in a Web-standard-only sandbox (EdgeVM)', () => {
  it('has no Node globals there, and resolves, builds headers and fetches with credentials', async () => {
    const api = await startUpstream();
    try {
      const key = fakeKey('project');
      const vm = new EdgeVM();
      vm.evaluate(await bundleCore());
      const globals = vm.evaluate(
        `[typeof process, typeof Buffer, typeof require, typeof Deno, typeof Bun, typeof fetch, typeof crypto.subtle, core.detectRuntime()]`,
      );
      expect(globals).toEqual([
        'undefined',
        'undefined',
        'undefined',
        'undefined',
        'undefined',
        'function',
        'object',
        'edge',
      ]);
      vm.context.__env = { OPENAI_API_KEY: `${key}\n`, OPENAI_BASE_URL: api.url };
      const outcome = (await vm.evaluate(`(async () => {
        const resolver = core.createResolver({ sources: [core.fromEnv((name) => __env[name])] });
        const credentials = await resolver.resolve();
        const headers = core.buildAuthHeaders(credentials);
        const authFetch = core.createAuthFetch({ resolver });
        const response = await authFetch('/models');
        const body = await response.json();
        let missing;
        try { await core.createResolver({ sources: [core.fromEnv(() => { throw new Error('no env here'); })] }).resolve(); }
        catch (error) { missing = { code: error.code, is: core.AuthError.is(error), message: error.message }; }
        return { status: response.status, models: body.data.length, headerNames: Object.keys(headers), shown: JSON.stringify(credentials), missing };
      })()`)) as {
        status: number;
        models: number;
        headerNames: string[];
        shown: string;
        missing: { code: string; is: boolean; message: string };
      };
      expect(outcome.status).toBe(200);
      expect(outcome.models).toBeGreaterThan(0);
      expect(outcome.headerNames).toEqual(['Authorization']);
      expect(outcome.missing).toMatchObject({ code: 'missing_credentials', is: true });
      expect(outcome.missing.message).toContain('env not readable');
      expect(api.requests[0]!.headers.authorization).toEqual([`Bearer ${key}`]);
      assertNoLeak({ values: [outcome], upstreamRequests: api.requests }, [key]);
    } finally {
      await api.close();
    }
  });
});
