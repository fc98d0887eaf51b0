import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The same test files as under Node 20, collected from their packages and run by this package's Node 24.
const workspace = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  test: {
    root: workspace,
    include: [
      'tests/node24/src/**/*.test.ts',
      'packages/node/src/conformance.test.ts',
      'packages/node/src/openai-client-options.test.ts',
      'apps/node-script/src/main.test.ts',
    ],
    testTimeout: 60_000,
  },
});
