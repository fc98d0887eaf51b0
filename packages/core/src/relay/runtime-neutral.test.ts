import { fileURLToPath } from 'node:url';
import { assertNoLeak, fakeKey, startUpstream } from '@auth/testkit';
import { EdgeVM } from '@edge-runtime/vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The source scan of this folder is core's own runtime-neutral test (it reads every folder below src/).
describe('the relay is runtime-neutral', () => {
  it('runs bundled inside a Web-standard-only sandbox (EdgeVM): relays JSON and SSE with the server key', async () => {
    const upstream = await startUpstream();
    try {
      const key = fakeKey('project');
      const result = await build({
        stdin: {
          contents:
            "export { createRelay } from './relay/index.ts'; export { createResolver, fromValues } from './index.ts';",
          resolveDir: fileURLToPath(new URL('..', import.meta.url)),
          loader: 'ts',
        },
        bundle: true,
        format: 'iife',
        globalName: 'core',
        platform: 'neutral',
        write: false,
      });
      const vm = new EdgeVM();
      vm.evaluate(result.outputFiles[0]!.text);
      expect(vm.evaluate('[typeof process, typeof Buffer, typeof require, typeof Deno, typeof Bun]')).toEqual(
        ['undefined', 'undefined', 'undefined', 'undefined', 'undefined'],
      );
      vm.context.__config = { key, baseURL: upstream.url };
      const outcome = (await vm.evaluate(`(async () => {
        const resolver = core.createResolver({ sources: [core.fromValues({ apiKey: __config.key, baseURL: __config.baseURL })] });
        const events = [];
        const relay = core.createRelay({ resolver, authorize: () => ({ id: 'alice' }), mountPath: '/api/openai', onEvent: (e) => events.push(e) });
        await relay.ready();
        const headers = { origin: 'https://app.test', 'content-type': 'application/json', authorization: 'Bearer app-session' };
        const json = await relay(new Request('https://app.test/api/openai/chat/completions', { method: 'POST', headers, body: JSON.stringify({ model: 'gpt-4o-mini' }) }));
        const sse = await relay(new Request('https://app.test/api/openai/chat/completions', { method: 'POST', headers, body: JSON.stringify({ model: 'gpt-4o-mini', stream: true }) }));
        const denied = await relay(new Request('https://app.test/api/openai/organization/users', { headers }));
        return { json: [json.status, await json.text()], sse: [sse.status, sse.headers.get('content-type'), await sse.text()], denied: denied.status, events };
      })()`)) as { json: [number, string]; sse: [number, string, string]; denied: number; events: unknown[] };
      expect(outcome.json[0]).toBe(200);
      expect(JSON.parse(outcome.json[1]).object).toBe('chat.completion');
      expect(outcome.sse[0]).toBe(200);
      expect(outcome.sse[1]).toMatch(/^text\/event-stream/);
      expect(outcome.sse[2].trimEnd().endsWith('data: [DONE]')).toBe(true);
      expect(outcome.denied).toBe(403);
      expect(upstream.requests).toHaveLength(2);
      expect(upstream.requests.map((request) => request.headers.authorization)).toEqual([
        [`Bearer ${key}`],
        [`Bearer ${key}`],
      ]);
      assertNoLeak({ values: [outcome], upstreamRequests: upstream.requests }, [key]);
    } finally {
      await upstream.close();
    }
  });
});
