import { rmSync } from 'node:fs';
import { defineConfig } from 'tsup';

export default defineConfig(() => {
  // One clean before both builds: tsup's per-config `clean` runs concurrently and could wipe the other's output.
  rmSync('dist', { recursive: true, force: true });
  return [
    {
      entry: ['src/index.ts'],
      format: ['esm', 'cjs'],
      dts: true,
      sourcemap: false,
      target: 'es2022',
      platform: 'node',
      treeshake: true,
    },
    {
      // The CLI: ESM only, no types; esbuild keeps the `#!/usr/bin/env node` line of src/cli.ts.
      entry: ['src/cli.ts'],
      format: ['esm'],
      dts: false,
      sourcemap: false,
      target: 'es2022',
      platform: 'node',
    },
  ];
});
