import { readFile } from 'node:fs/promises';
import { type ConformanceLib, runConformance } from '@auth/testkit';
import { describe, it } from 'vitest';
import { createRuntimeAdapter } from './adapter/index.ts';
import * as core from './index.ts';

/*
 * Core has no runtime of its own: here `createRuntimeAdapter` builds the adapter functions over an in-memory
 * env, exactly as the adapters build theirs over the runtime's, so the shared cases run against core's own
 * code too. The adapters run the same suite natively.
 */
const env: Record<string, string | undefined> = {};

const adapter = createRuntimeAdapter({
  runtime: 'node',
  readEnv: (name) => env[name],
  readTextFile: (path, { signal }) => readFile(path, { encoding: 'utf8', signal }),
  createFetch: () => (input, init) => fetch(input, init),
  runCommand: () => Promise.reject(Object.assign(new Error('no processes here'), { code: 'ENOSYS' })),
});

const lib: ConformanceLib = { ...core, ...adapter };

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
