import { defineConfig } from 'tsup';

export default defineConfig({
  // `@auth/core/adapter` and `@auth/core/relay` are entries of their own so that apps importing `@auth/core`
  // do not pay for them.
  entry: {
    index: 'src/index.ts',
    'adapter/index': 'src/adapter/index.ts',
    'relay/index': 'src/relay/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  // Shared code (AuthError, the resolver) goes to chunks both entries load: one class, one copy, in CJS too.
  splitting: true,
  sourcemap: false,
  target: 'es2022',
  treeshake: true,
});
