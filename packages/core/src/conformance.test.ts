import { readFile } from 'node:fs/promises';
import { type ConformanceLib, runConformance } from '@auth/testkit';
import { describe, it } from 'vitest';
import * as core from './index.ts';

/*
 * Core has no runtime of its own: here it gets the options chain an adapter would give it, over an in-memory
 * env, so the shared cases run against core's own code too. The adapters run the same suite natively.
 */
const env: Record<string, string | undefined> = {};
const readEnv = (name: string) => env[name];

type Options = core.CredentialValues & {
  provider?: core.ProviderLoad;
  sources?: core.CredentialSource[];
  resolver?: core.CredentialResolver;
  timeoutMs?: number;
};

function createResolver(options: Options = {}): core.CredentialResolver {
  if (options.sources) return core.createResolver({ sources: options.sources });
  const { apiKey, organization, project, baseURL } = options;
  const sources = [
    core.fromValues({ apiKey, organization, project, baseURL }),
    core.fromEnv(readEnv),
    core.fromSecretFiles(readEnv, (path, { signal }) => readFile(path, { encoding: 'utf8', signal })),
  ];
  if (options.provider) sources.push(core.fromProvider(options.provider));
  return core.createResolver({ sources });
}

const lib: ConformanceLib = {
  ...core,
  createResolver,
  resolveCredentials: (options?: Options) => createResolver(options).resolve(),
  createAuthFetch: (options: Options = {}) =>
    core.createAuthFetch({
      resolver: options.resolver ?? createResolver(options),
      timeoutMs: options.timeoutMs,
    }),
};

runConformance(
  { describe, it },
  {
    runtime: 'node',
    lib,
    setEnv(vars) {
      for (const [name, value] of Object.entries(vars)) env[name] = value;
    },
  },
);
