import { expect, test } from 'bun:test';
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

test('index re-exports every value of @auth/core by name, and adds exactly the adapter functions', () => {
  const expected = [...new Set([...Object.keys(core), ...replaced, ...added, ...relayValues])].sort();
  expect(Object.keys(adapter).sort()).toEqual(expected);
  const relay: Record<string, unknown> = { ...relayModule };
  for (const name of relayValues) expect(adapter[name]).toBe(relay[name]);
  for (const name of Object.keys(core)) {
    if (replaced.includes(name)) expect(adapter[name]).not.toBe(core[name]);
    else expect(adapter[name]).toBe(core[name]);
  }
});

test('detectRuntime() says bun, and AuthError is the one class of core', () => {
  expect(adapterModule.detectRuntime()).toBe('bun');
  expect(adapterModule.AuthError.is(new coreModule.AuthError('missing_credentials', 'x'))).toBe(true);
});

test('Bun.inspect of credentials, resolver, report and errors shows no key', async () => {
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
  expect(adapterModule.AuthError.is(error)).toBe(true);
  const values = [credentials, resolver, report, error, adapterModule.openaiClientOptions({ apiKey: key })];
  assertNoLeak({ logs: values.map((value) => Bun.inspect(value, { depth: 10 })) }, [key]);
});
