import { inspect } from 'node:util';
import { assertNoLeak, fakeKey } from '@auth/testkit';
import { describe, expect, it, vi } from 'vitest';
import { createResolver } from './create-resolver.ts';
import { Credentials } from './credentials.ts';
import { fromValues } from './from-values.ts';

describe('Credentials', () => {
  it('A10: JSON, inspect, template strings, structuredClone and console.log show no key material', async () => {
    const apiKey = fakeKey('service_account');
    const resolver = createResolver({ sources: [fromValues({ apiKey, project: 'proj_x' })] });
    const credentials = await resolver.resolve();
    expect(credentials.apiKey).toBe(apiKey);
    const logged: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      logged.push(args.map((arg) => inspect(arg, { depth: 10, showHidden: true })).join(' '));
    });
    console.log(credentials, { credentials, resolver });
    spy.mockRestore();
    const shown = [
      JSON.stringify(credentials),
      JSON.stringify({ nested: credentials }),
      inspect(credentials, { showHidden: true, depth: 10 }),
      inspect(resolver, { showHidden: true, depth: 10 }),
      `${credentials}`,
      String(credentials),
      inspect(structuredClone(credentials), { showHidden: true }),
      Object.keys(credentials).join(','),
    ];
    expect(shown[0]).toContain(`…${apiKey.slice(-4)}`);
    assertNoLeak({ logs: [...logged, ...shown], values: [credentials, resolver, await resolver.report()] }, [
      apiKey,
    ]);
  });

  it('is immutable: no field can be reassigned, headers() copies', () => {
    const credentials = new Credentials({ apiKey: fakeKey('project'), baseURL: 'https://api.openai.com/v1' });
    expect(() => {
      (credentials as { baseURL: string }).baseURL = 'https://evil.test';
    }).toThrow(TypeError);
    const headers = credentials.headers();
    headers.Authorization = 'Bearer other';
    expect(credentials.headers().Authorization).toBe(`Bearer ${credentials.apiKey}`);
  });
});

describe('Credentials under inspectors that call getters', () => {
  it('A10: util.inspect with getters: true and showHidden shows the mask, not the key', () => {
    const apiKey = fakeKey('project');
    const credentials = new Credentials({ apiKey, baseURL: 'https://api.openai.com/v1' });
    const shown = inspect(credentials, { getters: true, showHidden: true, depth: 5 });
    expect(shown).toContain(`…${apiKey.slice(-4)}`);
    assertNoLeak(
      { logs: [shown, inspect({ wrapped: [credentials] }, { getters: true, showHidden: true, depth: 5 })] },
      [apiKey],
    );
  });
});
