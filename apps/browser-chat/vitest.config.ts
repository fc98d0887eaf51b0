import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // A real Chromium and three servers: generous, and still bounded.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
