import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Each file loads the 2 cores on its own; in parallel they would measure each other, not the relay.
    fileParallelism: false,
    // The suite takes about 2 minutes (F48 ~35 s, the soak ~45 s, the others ~10 s each) and must stay under
    // 3; a test that hangs fails here, long before CI's own limit. The soak sets its own, longer timeout.
    testTimeout: 90_000,
    hookTimeout: 30_000,
  },
});
