import assert from 'node:assert/strict';
import * as coreModule from '@auth/core';
import * as relayModule from '@auth/core/relay';
import { assertNoLeak, fakeKey } from '@auth/testkit';
import * as adapterModule from './index.ts';

/* The export surface of docs/adapter-contract.md: core's names, two of them replaced, plus the adapter's. */

// Plain records, so names can be looked up one by one.
const core: Record<string, unknown> = { ...coreModule };
const adapter: Record<string, unknown> = { ...adapterModule };
const replaced = ['createResolver', 'createAuthFetch'];
const added = [
  'resolveCredentials',
  'fromCommand',
  'openaiClientOptions',
  'readEnv',
  'readTextFile',
  'serveRelay',
];
// The relay's values, from @auth/core/relay as they are.
const relayValues = ['createMemoryRateLimitStore', 'createRelay', 'defaultRoutes', 'relayErrorBody'];

Deno.test('index re-exports every value of @auth/core by name, and adds exactly the adapter functions', () => {
  const expected = [...new Set([...Object.keys(core), ...replaced, ...added, ...relayValues])].sort();
  assert.deepEqual(Object.keys(adapter).sort(), expected);
  const relay: Record<string, unknown> = { ...relayModule };
  for (const name of relayValues) assert.equal(adapter[name], relay[name], `${name} is core's relay's`);
  for (const name of Object.keys(core)) {
    if (replaced.includes(name)) {
      assert.notEqual(
        adapter[name as keyof typeof adapter],
        core[name as keyof typeof core],
        `${name} is Deno's own`,
      );
    } else {
      assert.equal(
        adapter[name as keyof typeof adapter],
        core[name as keyof typeof core],
        `${name} is core's`,
      );
    }
  }
});

Deno.test('detectRuntime() says deno, and AuthError is the one class of core', () => {
  assert.equal(adapterModule.detectRuntime(), 'deno');
  assert.ok(adapterModule.AuthError.is(new coreModule.AuthError('missing_credentials', 'x')));
});

Deno.test('Deno.inspect of credentials, resolver, report and errors shows no key (hidden properties too)', async () => {
  const key = fakeKey('project');
  const resolver = adapterModule.createResolver({
    apiKey: key,
    organization: null,
    project: null,
    baseURL: null,
  });
  const credentials = await resolver.resolve();
  const report = await resolver.report();
  let error: unknown;
  try {
    adapterModule.buildAuthHeaders({ apiKey: `${key}\r\nX-Injected: 1` });
  } catch (caught) {
    error = caught;
  }
  assert.ok(adapterModule.AuthError.is(error));
  // Not `getters: true` together with `showHidden`: that evaluates core's `apiKey` getter on the prototype
  // and prints the key (reported to core; util.inspect does the same under Node).
  const inspected = [
    credentials,
    resolver,
    report,
    error,
    adapterModule.openaiClientOptions({ apiKey: key }),
  ].map((value) => Deno.inspect(value, { showHidden: true, depth: 10 }));
  assertNoLeak({ logs: inspected }, [key]);
});
